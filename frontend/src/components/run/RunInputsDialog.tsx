import { useMemo, useState } from 'react';
import {
  deriveRunInputs,
  initialInputsJson,
  parseFieldValue,
  parseInputsObject,
  type RunInputForm,
} from '../../lib/runInputs';
import type { FlowNode } from '../../lib/graph';
import { Dialog } from '../ui/Dialog';

const LAST_INPUTS_KEY = (flowId: number) => `baton.inputs.${flowId}`;

export function loadLastInputs(flowId: number): Record<string, unknown> | null {
  try {
    const raw = window.localStorage.getItem(LAST_INPUTS_KEY(flowId));
    const value = raw ? (JSON.parse(raw) as unknown) : null;
    return value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

export function saveLastInputs(flowId: number, inputs: Record<string, unknown>): void {
  try {
    window.localStorage.setItem(LAST_INPUTS_KEY(flowId), JSON.stringify(inputs));
  } catch {
    /* storage full or private mode: only a convenience */
  }
}

interface RunInputsDialogProps {
  flowId: number;
  nodes: readonly FlowNode[];
  dirty: boolean;
  onRun: (inputs: Record<string, unknown>) => void;
  onCancel: () => void;
  /** Replay mode: the model and HTTP requests are answered from these runs' recordings. */
  replay?: readonly string[] | null;
}

export function RunInputsDialog({ flowId, nodes, dirty, onRun, onCancel, replay }: RunInputsDialogProps) {
  const form: RunInputForm = useMemo(() => deriveRunInputs(nodes), [nodes]);
  const previous = useMemo(() => loadLastInputs(flowId), [flowId]);
  const [values, setValues] = useState<Record<string, string>>(() => {
    const out: Record<string, string> = {};
    for (const f of form.fields) {
      const v = previous?.[f.key];
      out[f.key] = v === undefined ? '' : typeof v === 'string' ? v : JSON.stringify(v);
    }
    return out;
  });
  const [modes, setModes] = useState<Record<string, 'text' | 'json'>>(() => {
    const out: Record<string, 'text' | 'json'> = {};
    for (const f of form.fields) {
      const v = previous?.[f.key];
      out[f.key] = v !== undefined && typeof v !== 'string' ? 'json' : 'text';
    }
    return out;
  });
  const [json, setJson] = useState(() => initialInputsJson(form, previous));
  const [error, setError] = useState<string | null>(null);

  const submit = () => {
    let inputs: Record<string, unknown>;
    if (form.wholeObject) {
      const parsed = parseInputsObject(json);
      if ('error' in parsed) return setError(parsed.error);
      inputs = parsed.value;
    } else {
      inputs = {};
      for (const f of form.fields) {
        const text = values[f.key] ?? '';
        if (text === '' && f.hasDefault) continue; // the input node's default applies
        const parsed = parseFieldValue(text, modes[f.key] ?? 'text');
        if ('error' in parsed) return setError(`${f.key}: ${parsed.error}`);
        inputs[f.key] = parsed.value;
      }
    }
    saveLastInputs(flowId, inputs);
    onRun(inputs);
  };

  return (
    <Dialog title={replay?.length ? 'Run with recorded answers' : 'Run this flow'} onClose={onCancel} testId="run-inputs-dialog" wide>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          submit();
        }}
      >
        {replay?.length ? (
          <p className="notice" data-testid="run-replay-notice">
            Replay mode: model and HTTP requests are answered from the recording of run {replay.join(', ')}, with no
            network and no cost. A request the recording does not hold fails its node and shows the nearest one.
          </p>
        ) : null}
        {dirty && (
          <p className="notice" data-testid="run-draft-notice">
            You have unsaved changes. This run uses the drawing as it is on screen; the saved flow is not changed.
          </p>
        )}
        {form.wholeObject ? (
          <label className="field">
            <span className="field__label">Inputs (JSON object)</span>
            <span className="muted small">An input node with an empty key receives this whole object.</span>
            <textarea
              className="input field--code"
              rows={8}
              value={json}
              spellCheck={false}
              onChange={(e) => setJson(e.target.value)}
              data-testid="run-inputs-json"
              data-autofocus
            />
          </label>
        ) : (
          form.fields.map((f, i) => (
            <div className="field" key={f.key}>
              <div className="field__label-row">
                <label className="field__label" htmlFor={`run-input-${f.key}`}>
                  {f.key}
                  {f.labels.length > 0 && <span className="muted small"> · {f.labels.join(', ')}</span>}
                </label>
                <label className="switch small">
                  <input
                    type="checkbox"
                    checked={modes[f.key] === 'json'}
                    onChange={(e) => setModes({ ...modes, [f.key]: e.target.checked ? 'json' : 'text' })}
                  />{' '}
                  JSON
                </label>
              </div>
              {f.description && <span className="muted small">{f.description}</span>}
              <textarea
                id={`run-input-${f.key}`}
                placeholder={f.hasDefault ? `Empty: the default, ${JSON.stringify(f.defaultValue)}` : undefined}
                className={`input${modes[f.key] === 'json' ? ' field--code' : ''}`}
                rows={2}
                value={values[f.key] ?? ''}
                onChange={(e) => setValues({ ...values, [f.key]: e.target.value })}
                onKeyDown={(e) => {
                  if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) {
                    e.preventDefault();
                    submit();
                  }
                }}
                data-testid={`run-input-${f.key}`}
                {...(i === 0 ? { 'data-autofocus': true } : {})}
              />
            </div>
          ))
        )}
        {error && (
          <p className="error-text" role="alert">
            {error}
          </p>
        )}
        <div className="dialog__actions">
          <span className="muted small">Ctrl+Enter runs</span>
          <button type="button" className="button" onClick={onCancel}>
            Cancel
          </button>
          <button type="submit" className="button button--primary" data-testid="run-submit">
            ▶ Run
          </button>
        </div>
      </form>
    </Dialog>
  );
}
