import { useMemo, useState } from 'react';
import { describeError } from '../../api/client';
import { createSchedule, updateSchedule } from '../../api/schedules';
import type { FlowVersionSummary, Schedule, ScheduleInput } from '../../api/types';
import { browserTimeZone, checkCron, CRON_PRESETS, describeCron, normalizeCron, timeZones } from '../../lib/cron';
import type { FlowNode } from '../../lib/graph';
import { deriveRunInputs, initialInputsJson, parseInputsObject } from '../../lib/runInputs';
import { Dialog } from '../ui/Dialog';

interface ScheduleDialogProps {
  flowId: number;
  /** The schedule being edited; null makes a new one. */
  schedule: Schedule | null;
  versions: FlowVersionSummary[];
  /** The drawing's nodes: their input nodes prefill the inputs. */
  nodes: readonly FlowNode[];
  onSaved: (schedule: Schedule) => void;
  onCancel: () => void;
}

/** Make or change a schedule: cron and zone, inputs, the version it runs, on or off. */
export function ScheduleDialog({ flowId, schedule, versions, nodes, onSaved, onCancel }: ScheduleDialogProps) {
  const [name, setName] = useState(schedule?.name ?? '');
  const [cron, setCron] = useState(schedule?.cron ?? '0 9 * * 1-5');
  const [zone, setZone] = useState(schedule?.timezone ?? browserTimeZone());
  const [version, setVersion] = useState<string>(schedule?.version ? String(schedule.version) : '');
  const [enabled, setEnabled] = useState(schedule?.enabled ?? true);
  const inputForm = useMemo(() => deriveRunInputs(nodes), [nodes]);
  const [inputs, setInputs] = useState(() =>
    schedule ? JSON.stringify(schedule.inputs ?? {}, null, 2) : initialInputsJson(inputForm, null),
  );
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const zones = useMemo(() => timeZones(zone), [zone]);

  const cronProblem = checkCron(cron);
  const cronWords = cronProblem ? null : describeCron(cron);
  const parsedInputs = parseInputsObject(inputs);
  const inputsProblem = 'error' in parsedInputs ? parsedInputs.error : null;

  const submit = async () => {
    if (cronProblem || 'error' in parsedInputs) {
      setError(cronProblem ?? inputsProblem);
      return;
    }
    const body: ScheduleInput = {
      name: name.trim(),
      cron: normalizeCron(cron),
      timezone: zone,
      inputs: parsedInputs.value,
      version: version ? Number(version) : null,
      enabled,
    };
    setBusy(true);
    setError(null);
    try {
      const saved = schedule ? await updateSchedule(flowId, schedule.id, body) : await createSchedule(flowId, body);
      onSaved(saved);
    } catch (err) {
      setError(describeError(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <Dialog title={schedule ? 'Edit the schedule' : 'New schedule'} onClose={onCancel} testId="schedule-dialog" wide>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          void submit();
        }}
      >
        <label className="field">
          <span className="field__label">Name</span>
          <input className="input" value={name} maxLength={100} placeholder="e.g. Morning report" onChange={(e) => setName(e.target.value)} data-testid="schedule-name" data-autofocus />
        </label>
        <div className="field">
          <div className="field__label-row">
            <label className="field__label" htmlFor="schedule-cron">
              When (cron)
            </label>
            <select
              className="input input--small"
              value=""
              aria-label="Common schedules"
              onChange={(e) => e.target.value && setCron(e.target.value)}
              data-testid="schedule-preset"
            >
              <option value="">Common…</option>
              {CRON_PRESETS.map((p) => (
                <option key={p.cron} value={p.cron}>
                  {p.label}
                </option>
              ))}
            </select>
          </div>
          <input
            id="schedule-cron"
            className="input field--code"
            value={cron}
            spellCheck={false}
            onChange={(e) => setCron(e.target.value)}
            aria-invalid={cronProblem !== null}
            data-testid="schedule-cron"
          />
          <span className={cronProblem ? 'error-detail' : 'muted small'} data-testid="schedule-cron-help">
            {cronProblem ?? (cronWords ? `Runs ${cronWords}, ${zone} time.` : 'minute hour day-of-month month day-of-week, or @hourly, @daily, @weekly, @monthly, @yearly')}
          </span>
        </div>
        <label className="field">
          <span className="field__label">Time zone</span>
          <select className="input" value={zone} onChange={(e) => setZone(e.target.value)} data-testid="schedule-timezone">
            {zones.map((z) => (
              <option key={z} value={z}>
                {z}
              </option>
            ))}
          </select>
        </label>
        <label className="field">
          <span className="field__label">Runs</span>
          <select className="input" value={version} onChange={(e) => setVersion(e.target.value)} data-testid="schedule-version">
            <option value="">The latest published version{versions.length ? ` (now v${versions[0].number})` : ' (the draft while none is published)'}</option>
            {versions.map((v) => (
              <option key={v.number} value={v.number}>
                Always version {v.number}
                {v.note ? ` — ${v.note.slice(0, 40)}` : ''}
              </option>
            ))}
          </select>
        </label>
        <label className="field">
          <span className="field__label">Inputs (JSON object)</span>
          {!inputForm.none && !inputForm.wholeObject && inputForm.fields.length > 0 && (
            <span className="muted small">The flow reads: {inputForm.fields.map((f) => f.key).join(', ')}.</span>
          )}
          <textarea
            className="input field--code"
            rows={5}
            value={inputs}
            spellCheck={false}
            onChange={(e) => setInputs(e.target.value)}
            aria-invalid={inputsProblem !== null}
            data-testid="schedule-inputs"
          />
          {inputsProblem && <span className="error-detail">{inputsProblem}</span>}
        </label>
        <label className="switch">
          <input type="checkbox" checked={enabled} onChange={(e) => setEnabled(e.target.checked)} data-testid="schedule-enabled" /> Enabled
        </label>
        {error && (
          <p className="error-text" role="alert" data-testid="schedule-error">
            {error}
          </p>
        )}
        <div className="dialog__actions">
          <button type="button" className="button" onClick={onCancel}>
            Cancel
          </button>
          <button type="submit" className="button button--primary" disabled={busy || cronProblem !== null || inputsProblem !== null} data-testid="schedule-submit">
            {busy ? 'Saving…' : schedule ? 'Save' : 'Create schedule'}
          </button>
        </div>
      </form>
    </Dialog>
  );
}
