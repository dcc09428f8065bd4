// The Form module itself, not @rjsf/core's index: the index also exports a test
// helper that imports the ajv validator, which compiles with `new Function`.
import Form, { type IChangeEvent } from '@rjsf/core/lib/components/Form.js';
import { getDefaultFormState, type RegistryFieldsType, type RegistryWidgetsType, type RJSFSchema, type UiSchema } from '@rjsf/utils';
import { memo, useCallback, useMemo } from 'react';
import type { JsonSchema } from '../../api/types';
import { formValidator } from '../../lib/formValidator';
import { stableStringify } from '../../lib/format';
import { deriveUiSchema, simplifySchema } from '../../lib/schema';
import { JsonField } from './JsonField';
import { PickerAwareTextWidget, type FormContext } from './PickerWidget';
import './SchemaForm.css';

const fields: RegistryFieldsType = { json: JsonField };
const widgets: RegistryWidgetsType = { TextWidget: PickerAwareTextWidget };

interface SchemaFormProps {
  schema: JsonSchema | undefined;
  value: Record<string, unknown>;
  onChange: (value: Record<string, unknown>) => void;
  idPrefix: string;
  readOnly?: boolean;
  testId?: string;
  /** The team whose objects the pickers list, and the flow being edited. */
  context?: FormContext;
}

/** A form generated from a JSON Schema by rjsf; changes go out on every keystroke. */
export const SchemaForm = memo(function SchemaForm({ schema, value, onChange, idPrefix, readOnly, testId, context }: SchemaFormProps) {
  const rjsfSchema: RJSFSchema = useMemo(() => simplifySchema(schema), [schema]);
  const uiSchema: UiSchema = useMemo(() => deriveUiSchema(rjsfSchema), [rjsfSchema]);
  // rjsf reports a change when it merely fills in schema defaults (on mount,
  // say). That is not an edit: only pass on changes that differ from the value
  // with its defaults filled.
  const baseline = useMemo(() => {
    try {
      return stableStringify(getDefaultFormState(formValidator, rjsfSchema, value, rjsfSchema));
    } catch {
      return stableStringify(value);
    }
  }, [rjsfSchema, value]);
  const handleChange = useCallback(
    (event: IChangeEvent) => {
      const next = (event.formData ?? {}) as Record<string, unknown>;
      const text = stableStringify(next);
      if (text !== stableStringify(value) && text !== baseline) onChange(next);
    },
    [onChange, value, baseline],
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
        widgets={widgets}
        formContext={context}
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
