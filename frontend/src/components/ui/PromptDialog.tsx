import { useState } from 'react';
import { Dialog } from './Dialog';

interface PromptDialogProps {
  title: string;
  label: string;
  initial?: string;
  confirmLabel: string;
  onSubmit: (value: string) => void | Promise<void>;
  onCancel: () => void;
}

/** Asks for one line of text (a name). */
export function PromptDialog({ title, label, initial = '', confirmLabel, onSubmit, onCancel }: PromptDialogProps) {
  const [value, setValue] = useState(initial);
  const [busy, setBusy] = useState(false);
  const submit = async () => {
    if (!value.trim() || busy) return;
    setBusy(true);
    try {
      await onSubmit(value.trim());
    } finally {
      setBusy(false);
    }
  };
  return (
    <Dialog title={title} onClose={onCancel} testId="prompt-dialog">
      <form
        onSubmit={(e) => {
          e.preventDefault();
          void submit();
        }}
      >
        <label className="field">
          <span className="field__label">{label}</span>
          <input
            className="input"
            value={value}
            onChange={(e) => setValue(e.target.value)}
            data-autofocus
            data-testid="prompt-input"
            onFocus={(e) => e.currentTarget.select()}
          />
        </label>
        <div className="dialog__actions">
          <button type="button" className="button" onClick={onCancel}>
            Cancel
          </button>
          <button type="submit" className="button button--primary" disabled={!value.trim() || busy} data-testid="prompt-submit">
            {confirmLabel}
          </button>
        </div>
      </form>
    </Dialog>
  );
}
