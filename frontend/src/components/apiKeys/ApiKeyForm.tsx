import { useId, useMemo, useState, type FormEvent } from 'react';
import { createApiKey, patchApiKey } from '../../api/apiKeys';
import { describeError } from '../../api/client';
import { useFlows } from '../../api/flows';
import { API_SCOPES, type ApiKey, type ApiScope, type NewApiKey } from '../../api/types';
import { EXPIRY_CHOICES, expiryFrom, type ExpiryChoice } from '../../lib/apiKeyForm';
import { formatTime } from '../../lib/format';
import { SCOPE_LABELS, scopesAllowed, teamIn, teamLabel } from '../../lib/permissions';
import { useSessionStore } from '../../stores/sessionStore';
import '../ui/Dialog.css';
import './ApiKeyForm.css';

export interface ApiKeyFormProps {
  /** The key to change; without it the form creates a new one. */
  editing?: ApiKey;
  onSaved: (key: NewApiKey | ApiKey) => void;
  onCancel?: () => void;
}

/** Creates a key, or changes one's name, scopes, flows and expiry (its team stays). */
export function ApiKeyForm({ editing, onSaved, onCancel }: ApiKeyFormProps) {
  const me = useSessionStore((s) => s.me);
  const currentTeamId = useSessionStore((s) => s.teamId);
  const ids = useId();
  const [name, setName] = useState(editing?.name ?? '');
  const [teamId, setTeamId] = useState<number | null>(editing ? editing.team : currentTeamId);
  const team = teamIn(me, teamId);
  const role = team?.role ?? null;
  const allowed = useMemo(() => scopesAllowed(team), [team]);
  const [scopes, setScopes] = useState<ApiScope[]>(editing?.scopes ?? ['flows:read', 'runs:write']);
  const [limitFlows, setLimitFlows] = useState((editing?.flows.length ?? 0) > 0);
  const [flowIds, setFlowIds] = useState<number[]>(editing?.flows ?? []);
  const [expiry, setExpiry] = useState<ExpiryChoice>(editing ? 'keep' : '90');
  const expiryChoices = editing
    ? [{ value: 'keep' as const, label: `Keep (${editing.expires_at ? formatTime(editing.expires_at) : 'never'})` }, ...EXPIRY_CHOICES]
    : EXPIRY_CHOICES;
  const [customDate, setCustomDate] = useState('');
  const [problem, setProblem] = useState<string | null>(null);
  const [saving, setSaving] = useState(false);
  const { data: flows, loading: flowsLoading, error: flowsError } = useFlows(limitFlows ? teamId : null);

  // A new key's team is the current one, once the session knows it.
  if (!editing && teamId === null && currentTeamId !== null) setTeamId(currentTeamId);

  const chosenScopes = scopes.filter((s) => allowed.includes(s));

  const changeTeam = (next: number) => {
    setTeamId(next);
    setFlowIds([]); // flows belong to one team
  };

  const toggle = <T,>(list: T[], item: T, on: boolean): T[] => (on ? [...list.filter((x) => x !== item), item] : list.filter((x) => x !== item));

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setProblem(null);
    if (!name.trim()) return setProblem('Give the key a name, e.g. the program that will use it.');
    if (teamId === null) return setProblem('Choose the team the key acts in.');
    if (chosenScopes.length === 0) return setProblem('A key needs at least one scope.');
    if (limitFlows && flowIds.length === 0) return setProblem('Choose at least one flow, or allow all flows.');
    let expiresAt: string | null | undefined;
    try {
      expiresAt = expiryFrom(expiry, customDate);
    } catch (err) {
      return setProblem(describeError(err));
    }
    const limits = {
      name: name.trim(),
      scopes: API_SCOPES.filter((s) => chosenScopes.includes(s)),
      flows: limitFlows ? flowIds : [],
      ...(expiresAt !== undefined && { expires_at: expiresAt }),
    };
    setSaving(true);
    try {
      if (editing) {
        onSaved(await patchApiKey(editing.id, limits));
        return;
      }
      const key = await createApiKey({ ...limits, team: teamId });
      setName('');
      setLimitFlows(false);
      setFlowIds([]);
      onSaved(key);
    } catch (err) {
      setProblem(describeError(err));
    } finally {
      setSaving(false);
    }
  };

  return (
    <form onSubmit={submit} data-testid={editing ? 'edit-api-key-form' : 'create-api-key-form'} noValidate>
      <div className="form-grid">
        <label className="field">
          <span className="field__label">Name</span>
          <input
            className="input"
            placeholder="e.g. ci, zapier, nightly-report"
            value={name}
            onChange={(e) => setName(e.target.value)}
            maxLength={100}
            data-testid="api-key-name"
          />
        </label>
        <label className="field">
          <span className="field__label">Team</span>
          <select
            className="input"
            value={teamId ?? ''}
            onChange={(e) => changeTeam(Number(e.target.value))}
            disabled={editing !== undefined}
            title={editing ? 'A key stays in the team it was made for' : undefined}
            data-testid="api-key-team"
          >
            {me?.teams.map((t) => (
              <option key={t.id} value={t.id}>
                {teamLabel(t)} — {t.role}
              </option>
            ))}
          </select>
        </label>
      </div>

      <fieldset className="fieldset">
        <legend className="field__label">Scopes</legend>
        {API_SCOPES.map((s) => {
          const permitted = allowed.includes(s);
          return (
            <label key={s} className={`check${permitted ? '' : ' check--disabled'}`}>
              <input
                type="checkbox"
                checked={permitted && scopes.includes(s)}
                disabled={!permitted}
                onChange={(e) => setScopes(toggle(scopes, s, e.target.checked))}
                data-testid={`api-key-scope-${s}`}
              />
              <code>{s}</code> <span className="muted">{SCOPE_LABELS[s]}</span>
              {!permitted && role && <span className="muted small"> — your role ({role}) does not allow it</span>}
            </label>
          );
        })}
      </fieldset>

      <fieldset className="fieldset">
        <legend className="field__label">Flows</legend>
        <label className="check">
          <input type="radio" name={`${ids}-flows`} checked={!limitFlows} onChange={() => setLimitFlows(false)} data-testid="api-key-all-flows" />
          All the team’s flows, including future ones
        </label>
        <label className="check">
          <input type="radio" name={`${ids}-flows`} checked={limitFlows} onChange={() => setLimitFlows(true)} data-testid="api-key-some-flows" />
          Only these flows:
        </label>
        {limitFlows && (
          <div className="check-list" data-testid="api-key-flow-list">
            {flowsLoading && <p className="muted small">Loading flows…</p>}
            {flowsError && <p className="error-text small">Could not load the flows: {flowsError.message}</p>}
            {flows && flows.length === 0 && <p className="muted small">This team has no flows yet.</p>}
            {flows?.map((f) => (
              <label key={f.id} className="check">
                <input
                  type="checkbox"
                  checked={flowIds.includes(f.id)}
                  onChange={(e) => setFlowIds(toggle(flowIds, f.id, e.target.checked))}
                  data-testid="api-key-flow"
                  data-flow-id={f.id}
                />
                {f.name}
              </label>
            ))}
          </div>
        )}
      </fieldset>

      <div className="form-grid">
        <label className="field">
          <span className="field__label">Expires</span>
          <select className="input" value={expiry} onChange={(e) => setExpiry(e.target.value as ExpiryChoice)} data-testid="api-key-expiry">
            {expiryChoices.map((c) => (
              <option key={c.value} value={c.value}>
                {c.label}
              </option>
            ))}
          </select>
        </label>
        {expiry === 'custom' && (
          <label className="field">
            <span className="field__label">Expiry date</span>
            <input className="input" type="date" value={customDate} onChange={(e) => setCustomDate(e.target.value)} data-testid="api-key-expiry-date" />
          </label>
        )}
      </div>

      {problem && (
        <p className="error-text" role="alert" data-testid="api-key-error">
          {problem}
        </p>
      )}
      <div className="dialog__actions">
        {onCancel && (
          <button type="button" className="button" onClick={onCancel}>
            Cancel
          </button>
        )}
        <button type="submit" className="button button--primary" disabled={saving} data-testid={editing ? 'save-api-key' : 'create-api-key'}>
          {editing ? (saving ? 'Saving…' : 'Save') : saving ? 'Creating…' : 'Create key'}
        </button>
      </div>
    </form>
  );
}
