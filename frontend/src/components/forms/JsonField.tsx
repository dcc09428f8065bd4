import type { FieldProps } from '@rjsf/utils';
import { useState } from 'react';

function show(value: unknown): string {
  return value === undefined || value === null ? '' : JSON.stringify(value, null, 2);
}

/** Free-form values (objects without declared properties, `Any`) edited as JSON text. */
export function JsonField({ formData, onChange, fieldPathId, schema, name, disabled, readonly, rawErrors }: FieldProps) {
  const [text, setText] = useState(() => show(formData));
  const [error, setError] = useState<string | null>(null);

  // Follow outside changes (undo, another node) unless the text already means the same.
  const [shown, setShown] = useState(formData);
  if (formData !== shown) {
    setShown(formData);
    setText((current) => {
      try {
        if (current.trim() && JSON.stringify(JSON.parse(current)) === JSON.stringify(formData)) return current;
      } catch {
        /* replace invalid text */
      }
      return show(formData);
    });
  }

  const commit = (value: string) => {
    setText(value);
    if (!value.trim()) {
      setError(null);
      onChange(undefined, fieldPathId.path);
      return;
    }
    try {
      const parsed = JSON.parse(value);
      setError(null);
      onChange(parsed, fieldPathId.path);
    } catch (err) {
      setError(`Not valid JSON yet: ${(err as Error).message}`);
    }
  };

  const title = (schema.title as string | undefined) ?? name;
  return (
    <div className="form-group field field-json">
      <label className="control-label" htmlFor={fieldPathId.$id}>
        {title}
      </label>
      {schema.description && <p className="field-description">{schema.description}</p>}
      <textarea
        id={fieldPathId.$id}
        className="form-control field--code"
        rows={4}
        value={text}
        disabled={disabled || readonly}
        spellCheck={false}
        onChange={(e) => commit(e.target.value)}
      />
      {error && <p className="error-detail">{error}</p>}
      {rawErrors?.map((e, i) => (
        <p key={i} className="error-detail">
          {e}
        </p>
      ))}
    </div>
  );
}
