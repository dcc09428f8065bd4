// The Form module itself, not @rjsf/core's index: the index also exports a test
// helper that imports the ajv validator, which compiles with `new Function`.
import Form, { type IChangeEvent } from '@rjsf/core/lib/components/Form.js';
import type { RegistryFieldsType, RJSFSchema, UiSchema } from '@rjsf/utils';
import { memo, useCallback, useMemo } from 'react';
import type { JsonSchema } from '../../api/types';
import { formValidator } from '../../lib/formValidator';
import { deriveUiSchema, simplifySchema } from '../../lib/schema';
import { JsonField } from './JsonField';

const fields: RegistryFieldsType = { json: JsonField };

interface SchemaFormProps {
  schema: JsonSchema | undefined;
  value: Record<string, unknown>;
  onChange: (value: Record<string, unknown>) => void;
  idPrefix: string;
  readOnly?: boolean;
  testId?: string;
}

/** A form generated from a JSON Schema by rjsf; changes go out on every keystroke. */
export const SchemaForm = memo(function SchemaForm({ schema, value, onChange, idPrefix, readOnly, testId }: SchemaFormProps) {
  const rjsfSchema: RJSFSchema = useMemo(() => simplifySchema(schema), [schema]);
  const uiSchema: UiSchema = useMemo(() => deriveUiSchema(rjsfSchema), [rjsfSchema]);
  const handleChange = useCallback(
    (event: IChangeEvent) => {
      const next = (event.formData ?? {}) as Record<string, unknown>;
      if (JSON.stringify(next) !== JSON.stringify(value)) onChange(next);
    },
    [onChange, value],
  );
  const hasFields = Object.keys((rjsfSchema.properties as object | undefined) ?? {}).length > 0;
  if (!hasFields) return <p className="muted small">Nothing to configure.</p>;
  return (
    <div className="schema-form" data-testid={testId}>
      <Form
        schema={rjsfSchema}
        uiSchema={uiSchema}
        formData={value}
        validator={formValidator}
        fields={fields}
        onChange={handleChange}
        liveValidate="onChange"
        showErrorList={false}
        noHtml5Validate
        idPrefix={idPrefix}
        readonly={readOnly}
        onSubmit={() => undefined}
      />
    </div>
  );
});
