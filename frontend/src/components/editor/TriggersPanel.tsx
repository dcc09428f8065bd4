import { useMemo, useState, type FormEvent } from 'react';
import { Link } from 'react-router';
import { describeError } from '../../api/client';
import { deleteSchedule, updateSchedule, useSchedules } from '../../api/schedules';
import { createTrigger, revokeTrigger, useTriggers } from '../../api/triggers';
import type { NewTriggerUrl, Schedule, TriggerUrl } from '../../api/types';
import { useVersions } from '../../api/versions';
import { describeCron, formatInZone } from '../../lib/cron';
import { curlExample, exampleBody } from '../../lib/triggerExample';
import { formatRelative, formatTime } from '../../lib/format';
import { deriveRunInputs } from '../../lib/runInputs';
import { useGraphStore } from '../../stores/graphStore';
import { toast } from '../../stores/toastStore';
import { ConfirmDialog } from '../ui/ConfirmDialog';
import { copyText } from '../ui/copyText';
import { Dialog } from '../ui/Dialog';
import { ScheduleDialog } from './ScheduleDialog';
import './panel.css';
import './TriggersPanel.css';

interface TriggersPanelProps {
  flowId: number;
  /** The user may make, change and revoke (owner, editor). */
  canWrite: boolean;
  onClose: () => void;
}

const versionText = (v: number | null) => (v ? `version ${v}` : 'latest published');

/** A flow's ways in from outside: secret trigger URLs and cron schedules. */
export function TriggersPanel({ flowId, canWrite, onClose }: TriggersPanelProps) {
  const [triggerKey, setTriggerKey] = useState(0);
  const [scheduleKey, setScheduleKey] = useState(0);
  const triggers = useTriggers(flowId, triggerKey);
  const schedules = useSchedules(flowId, scheduleKey);
  const { data: versions } = useVersions(flowId);
  const [name, setName] = useState('');
  const [triggerVersion, setTriggerVersion] = useState('');
  const [creating, setCreating] = useState(false);
  const [created, setCreated] = useState<NewTriggerUrl | null>(null);
  const [revoking, setRevoking] = useState<TriggerUrl | null>(null);
  const [showRevoked, setShowRevoked] = useState(false);
  const [editing, setEditing] = useState<Schedule | 'new' | null>(null);
  const [deleting, setDeleting] = useState<Schedule | null>(null);
  const [busy, setBusy] = useState(false);
  const nodes = useGraphStore((s) => (s.preview ? s.preview.stash.nodes : s.nodes));

  const active = triggers.data?.filter((t) => t.state === 'active') ?? [];
  const revoked = triggers.data?.filter((t) => t.state !== 'active') ?? [];

  const create = async (e: FormEvent) => {
    e.preventDefault();
    if (!name.trim()) return;
    setCreating(true);
    try {
      const trigger = await createTrigger(flowId, name.trim(), triggerVersion ? Number(triggerVersion) : null);
      setCreated(trigger);
      setName('');
      setTriggerKey((k) => k + 1);
    } catch (err) {
      toast.error(`No trigger URL made: ${describeError(err)}`);
    } finally {
      setCreating(false);
    }
  };

  const revoke = async (trigger: TriggerUrl) => {
    setBusy(true);
    try {
      await revokeTrigger(flowId, trigger.id);
      toast.success(`Revoked “${trigger.name}”: its URL answers 404 from now on.`);
      setTriggerKey((k) => k + 1);
    } catch (err) {
      toast.error(`Not revoked: ${describeError(err)}`);
    } finally {
      setBusy(false);
      setRevoking(null);
    }
  };

  const toggle = async (schedule: Schedule) => {
    try {
      const saved = await updateSchedule(flowId, schedule.id, { enabled: !schedule.enabled });
      schedules.setData(schedules.data?.map((s) => (s.id === saved.id ? saved : s)));
      toast.success(saved.enabled ? 'Schedule on.' : 'Schedule paused.');
    } catch (err) {
      toast.error(`Not changed: ${describeError(err)}`);
    }
  };

  const remove = async (schedule: Schedule) => {
    setBusy(true);
    try {
      await deleteSchedule(flowId, schedule.id);
      toast.success('Schedule deleted.');
      setScheduleKey((k) => k + 1);
    } catch (err) {
      toast.error(`Not deleted: ${describeError(err)}`);
    } finally {
      setBusy(false);
      setDeleting(null);
    }
  };

  return (
    <div className="panel drawer" data-testid="triggers-panel">
      <header className="panel__header">
        <div className="panel__title">Triggers and schedules</div>
        <button type="button" className="icon-button" aria-label="Close triggers" onClick={onClose}>
          ×
        </button>
      </header>
      <div className="panel__body">
        <section className="drawer__section" data-testid="trigger-section">
          <div className="hstack space">
            <h4>Trigger URLs</h4>
            <button type="button" className="button button--small" onClick={triggers.reload} disabled={triggers.loading}>
              Refresh
            </button>
          </div>
          <p className="muted small">A secret URL: POST a JSON object to it and the flow runs with that object as its inputs. No other sign-in.</p>
          {canWrite && (
            <form className="trigger-form" onSubmit={create} data-testid="create-trigger-form">
              <input className="input" placeholder="Name, e.g. Zapier" value={name} maxLength={100} onChange={(e) => setName(e.target.value)} aria-label="Trigger name" data-testid="trigger-name" />
              <select className="input" value={triggerVersion} onChange={(e) => setTriggerVersion(e.target.value)} aria-label="Version the trigger runs" data-testid="trigger-version">
                <option value="">Runs the latest published version</option>
                {versions?.map((v) => (
                  <option key={v.number} value={v.number}>
                    Runs version {v.number}
                  </option>
                ))}
              </select>
              <button type="submit" className="button button--primary" disabled={!name.trim() || creating} data-testid="create-trigger">
                {creating ? 'Making…' : 'Make a trigger URL'}
              </button>
            </form>
          )}
          {triggers.loading && !triggers.data && <p className="muted small">Loading trigger URLs…</p>}
          {triggers.error && (
            <p className="error-text" role="alert">
              {triggers.error.message}
            </p>
          )}
          {triggers.data && active.length === 0 && <p className="muted small">No trigger URLs.</p>}
          <ul className="item-list">
            {[...active, ...(showRevoked ? revoked : [])].map((t) => (
              <li key={t.id} className={`item-list__item${t.state !== 'active' ? ' item-list__item--off' : ''}`} data-testid="trigger-item" data-state={t.state}>
                <div className="item-list__head">
                  <strong>{t.name}</strong>
                  <code className="muted small">{t.prefix}…</code>
                  {t.state !== 'active' && <span className="badge badge--cancelled">revoked</span>}
                </div>
                <div className="muted small">
                  Runs {versionText(t.version)} · made {formatRelative(t.created_at)}
                  {t.created_by ? ` by ${t.created_by}` : ''} · {t.last_used_at ? <span title={formatTime(t.last_used_at)}>last used {formatRelative(t.last_used_at)}</span> : 'never used'}
                </div>
                {canWrite && t.state === 'active' && (
                  <button type="button" className="button button--small button--ghost-danger" onClick={() => setRevoking(t)} data-testid="revoke-trigger">
                    Revoke
                  </button>
                )}
              </li>
            ))}
          </ul>
          {revoked.length > 0 && (
            <button type="button" className="button button--small button--quiet" onClick={() => setShowRevoked(!showRevoked)}>
              {showRevoked ? 'Hide revoked' : `Show revoked (${revoked.length})`}
            </button>
          )}
        </section>

        <section className="drawer__section" data-testid="schedule-section">
          <div className="hstack space">
            <h4>Schedules</h4>
            <div className="hstack gap">
              <button type="button" className="button button--small" onClick={schedules.reload} disabled={schedules.loading}>
                Refresh
              </button>
              {canWrite && (
                <button type="button" className="button button--small button--primary" onClick={() => setEditing('new')} data-testid="new-schedule">
                  New schedule
                </button>
              )}
            </div>
          </div>
          {schedules.loading && !schedules.data && <p className="muted small">Loading schedules…</p>}
          {schedules.error && (
            <p className="error-text" role="alert">
              {schedules.error.message}
            </p>
          )}
          {schedules.data && schedules.data.length === 0 && <p className="muted small">No schedules. {canWrite ? 'Make one to run the flow on a timetable.' : ''}</p>}
          <ul className="item-list">
            {schedules.data?.map((s) => (
              <li key={s.id} className={`item-list__item${s.enabled ? '' : ' item-list__item--off'}`} data-testid="schedule-item" data-schedule-id={s.id}>
                <div className="item-list__head">
                  <strong>{s.name || describeCron(s.cron) || s.cron}</strong>
                  <label className="switch small" title={canWrite ? 'On or paused' : undefined}>
                    <input type="checkbox" checked={s.enabled} disabled={!canWrite} onChange={() => void toggle(s)} data-testid="schedule-toggle" /> {s.enabled ? 'on' : 'paused'}
                  </label>
                </div>
                <div className="small">
                  <code data-testid="schedule-cron-text">{s.cron}</code> · {s.timezone}
                  {describeCron(s.cron) && s.name ? <span className="muted"> · {describeCron(s.cron)}</span> : null}
                </div>
                <div className="muted small">
                  Runs {versionText(s.version)}
                  {Object.keys(s.inputs ?? {}).length > 0 ? ` with ${JSON.stringify(s.inputs).slice(0, 80)}` : ''}
                </div>
                <div className="muted small" data-testid="schedule-next">
                  {s.enabled && s.next_fire_at ? `Next: ${formatInZone(s.next_fire_at, s.timezone)}` : 'Paused: does not fire.'}
                </div>
                {s.last_fired_at && (
                  <div className="muted small">
                    Last fired {formatRelative(s.last_fired_at)}
                    {s.last_run && (
                      <>
                        {' · '}
                        <Link to={`/runs/${s.last_run}`}>its run</Link>
                      </>
                    )}
                  </div>
                )}
                {s.last_error && <div className="error-detail">Last firing failed: {s.last_error}</div>}
                {canWrite && (
                  <div className="hstack gap">
                    <button type="button" className="button button--small" onClick={() => setEditing(s)} data-testid="edit-schedule">
                      Edit
                    </button>
                    <button type="button" className="button button--small button--ghost-danger" onClick={() => setDeleting(s)} data-testid="delete-schedule">
                      Delete
                    </button>
                  </div>
                )}
              </li>
            ))}
          </ul>
        </section>
      </div>

      {created && <NewTriggerDialog trigger={created} nodes={nodes} onClose={() => setCreated(null)} />}
      {revoking && (
        <ConfirmDialog title="Revoke this trigger URL?" confirmLabel="Revoke" danger busy={busy} onConfirm={() => void revoke(revoking)} onCancel={() => setRevoking(null)}>
          <p>Whatever calls “{revoking.name}” ({revoking.prefix}…) will get 404 from now on. This cannot be undone; you can make a new URL.</p>
        </ConfirmDialog>
      )}
      {editing && (
        <ScheduleDialog
          flowId={flowId}
          schedule={editing === 'new' ? null : editing}
          versions={versions ?? []}
          nodes={nodes}
          onCancel={() => setEditing(null)}
          onSaved={(saved) => {
            toast.success(editing === 'new' ? 'Schedule made.' : 'Schedule saved.');
            setEditing(null);
            if (schedules.data) {
              const exists = schedules.data.some((s) => s.id === saved.id);
              schedules.setData(exists ? schedules.data.map((s) => (s.id === saved.id ? saved : s)) : [...schedules.data, saved]);
            } else {
              setScheduleKey((k) => k + 1);
            }
          }}
        />
      )}
      {deleting && (
        <ConfirmDialog title="Delete this schedule?" confirmLabel="Delete" danger busy={busy} onConfirm={() => void remove(deleting)} onCancel={() => setDeleting(null)}>
          <p>
            “{deleting.name || deleting.cron}” stops firing. Runs it already started stay. To stop it for a while instead, pause it.
          </p>
        </ConfirmDialog>
      )}
    </div>
  );
}

function NewTriggerDialog({ trigger, nodes, onClose }: { trigger: NewTriggerUrl; nodes: ReturnType<typeof useGraphStore.getState>['nodes']; onClose: () => void }) {
  const keys = useMemo(() => deriveRunInputs(nodes).fields.map((f) => f.key), [nodes]);
  const curl = curlExample(trigger.url, exampleBody(keys));
  const copy = (text: string, what: string) =>
    void copyText(text).then((ok) => (ok ? toast.success(`${what} copied.`) : toast.error('Could not copy: select the text and copy it.')));
  return (
    <Dialog
      title="Trigger URL made"
      onClose={onClose}
      testId="new-trigger-dialog"
      wide
      footer={
        <button type="button" className="button button--primary" onClick={onClose} data-testid="new-trigger-done">
          I have copied it
        </button>
      }
    >
      <p className="notice">Copy the URL now: it holds the secret and is not shown again. Anyone with it can start this flow.</p>
      <div className="field">
        <span className="field__label">URL for “{trigger.name}”</span>
        <div className="hstack gap">
          <code className="secret" data-testid="new-trigger-url">
            {trigger.url}
          </code>
          <button type="button" className="button button--small" onClick={() => copy(trigger.url, 'URL')} data-testid="copy-trigger-url">
            Copy
          </button>
        </div>
      </div>
      <div className="field">
        <span className="field__label">Try it</span>
        <pre className="stream-block" data-testid="trigger-curl">
          {curl}
        </pre>
        <div>
          <button type="button" className="button button--small" onClick={() => copy(curl, 'Command')}>
            Copy command
          </button>
        </div>
        <span className="muted small">
          The answer is the new run: <code>{'{"id", "flow", "version", "status", "created_at"}'}</code>. Add <code>?version=draft</code> to run the saved draft.
        </span>
      </div>
    </Dialog>
  );
}
