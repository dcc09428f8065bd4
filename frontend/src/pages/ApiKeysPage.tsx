import { useEffect, useId, useMemo, useState, type FormEvent } from 'react';
import { createApiKey, patchApiKey, revokeApiKey, useApiKeys } from '../api/apiKeys/apiKeys';
import { describeError } from '../api/client';
import { listFlows, useFlows } from '../api/flows/listFlows';
import { API_SCOPES, type ApiKey, type ApiScope, type NewApiKey } from '../api/types';
import { ConfirmDialog } from '../components/ui/ConfirmDialog';
import { Dialog } from '../components/ui/Dialog';
import { copyText } from '../components/ui/copyText';
import { describeKeyFlows, EXPIRY_CHOICES, expiryFrom, type ExpiryChoice } from '../lib/apiKeyForm';
import { formatRelative, formatTime } from '../lib/format';
import { can, SCOPE_LABELS, scopesAllowed, teamLabel } from '../lib/permissions';
import { useSessionStore } from '../stores/sessionStore';
import { toast } from '../stores/toastStore';

/** Names of the flows of the teams the listed keys belong to, for the Flows column. */
function useFlowNames(teamIds: number[]): Map<number, string> {
  const [names, setNames] = useState<Map<number, string>>(new Map());
  const key = [...new Set(teamIds)].sort((a, b) => a - b).join(',');
  useEffect(() => {
    if (!key) return;
    const controller = new AbortController();
    void Promise.all(key.split(',').map((id) => listFlows(Number(id), controller.signal).catch(() => []))).then((lists) => {
      if (controller.signal.aborted) return;
      setNames(new Map(lists.flat().map((f) => [f.id, f.name])));
    });
    return () => controller.abort();
  }, [key]);
  return names;
}

export function ApiKeysPage() {
  const me = useSessionStore((s) => s.me);
  const [showRevoked, setShowRevoked] = useState(false);
  const { data: keys, error, loading, reload } = useApiKeys(showRevoked);
  const [created, setCreated] = useState<NewApiKey | null>(null);
  const [revoking, setRevoking] = useState<ApiKey | null>(null);
  const [editing, setEditing] = useState<ApiKey | null>(null);
  const [busy, setBusy] = useState(false);
  const flowNames = useFlowNames((keys ?? []).flatMap((k) => (k.flows.length && k.team !== null ? [k.team] : [])));
  const teamName = (id: number | null) => {
    if (id === null) return 'Every team';
    const team = me?.teams.find((t) => t.id === id);
    return team ? teamLabel(team) : `team ${id}`;
  };
  // Whoever may revoke a key may also change it (the server checks both the same way).
  const mayRevoke = (k: ApiKey) =>
    k.state !== 'revoked' && (k.user === me?.username || can(me?.teams.find((t) => t.id === k.team)?.role, 'team.manage'));

  const revoke = async (key: ApiKey) => {
    setBusy(true);
    try {
      await revokeApiKey(key.id);
      setRevoking(null);
      toast.success(`Revoked “${key.name}”.`);
      reload();
    } catch (err) {
      toast.error(`Not revoked: ${describeError(err)}`);
    } finally {
      setBusy(false);
    }
  };

  return (
    <div className="page" data-testid="api-keys-page">
      <header className="page__header">
        <div>
          <h1>API keys</h1>
          <p className="muted">
            Programs call the API with <code>Authorization: Bearer &lt;key&gt;</code>. A key acts in one team, with at most your role
            there.
          </p>
        </div>
      </header>

      {created && (
        <div className="notice" role="status" data-testid="new-api-key">
          <p>
            Your new key “{created.name}”. <strong>Copy it now: it is not shown again.</strong>
          </p>
          <div className="hstack gap">
            <code className="secret" data-testid="new-api-key-value">
              {created.key}
            </code>
            <button
              type="button"
              className="button button--small"
              onClick={() => void copyText(created.key).then((ok) => (ok ? toast.success('Copied.') : toast.error('Could not copy: select it and copy by hand.')))}
              data-testid="copy-api-key"
            >
              Copy
            </button>
            <button type="button" className="button button--small" onClick={() => setCreated(null)} data-testid="dismiss-api-key">
              Done
            </button>
          </div>
        </div>
      )}

      <div className="hstack space">
        <h2>Keys</h2>
        <label className="hstack gap small">
          <input type="checkbox" checked={showRevoked} onChange={(e) => setShowRevoked(e.target.checked)} data-testid="show-revoked" />
          Show revoked keys
        </label>
      </div>
      {loading && !keys && <p className="muted">Loading keys…</p>}
      {error && <p className="error-text">Could not load the keys: {error.message}</p>}
      {keys && keys.length === 0 && (
        <div className="empty empty--small">
          <p>No keys yet. Create one below for a program, a CI job or a script.</p>
        </div>
      )}
      {keys && keys.length > 0 && (
        <table className="table" data-testid="api-keys-table">
          <thead>
            <tr>
              <th>Name</th>
              <th>Team</th>
              <th>Scopes</th>
              <th>Flows</th>
              <th>Expires</th>
              <th>Last used</th>
              <th>Created</th>
              <th aria-label="Actions" />
            </tr>
          </thead>
          <tbody>
            {keys.map((k) => (
              <tr key={k.id} data-testid="api-key-row" data-key-id={k.id} data-state={k.state}>
                <td>
                  <div className="table__main">{k.name}</div>
                  <code className="muted small">{k.prefix}…</code>
                  {k.state !== 'active' && <span className={`badge badge--${k.state === 'revoked' ? 'cancelled' : 'waiting'}`}>{k.state}</span>}
                </td>
                <td className="small">{teamName(k.team)}</td>
                <td>
                  <div className="chips">
                    {k.scopes.map((s) => (
                      <span key={s} className="badge" title={SCOPE_LABELS[s]} data-testid="api-key-scope">
                        {s}
                      </span>
                    ))}
                  </div>
                </td>
                <td className="small" data-testid="api-key-flows">
                  {describeKeyFlows(k, flowNames)}
                </td>
                <td className="small">{k.expires_at ? formatTime(k.expires_at) : 'never'}</td>
                <td className="muted small">{k.last_used_at ? formatRelative(k.last_used_at) : 'never'}</td>
                <td className="muted small">
                  {formatRelative(k.created_at)}
                  {k.user && k.user !== me?.username ? ` · ${k.user}` : ''}
                </td>
                <td className="table__actions">
                  {mayRevoke(k) && (
                    <>
                      <button type="button" className="button button--small" onClick={() => setEditing(k)} data-testid="edit-api-key">
                        Edit
                      </button>
                      <button type="button" className="button button--small button--ghost-danger" onClick={() => setRevoking(k)} data-testid="revoke-api-key">
                        Revoke
                      </button>
                    </>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}

      <section className="section">
        <h2>New key</h2>
        <KeyForm
          onSaved={(key) => {
            setCreated(key as NewApiKey);
            reload();
          }}
        />
      </section>

      {editing && (
        <Dialog title={`Edit key “${editing.name}”`} onClose={() => setEditing(null)} testId="edit-api-key-dialog" wide>
          <KeyForm
            editing={editing}
            onSaved={(key) => {
              setEditing(null);
              toast.success(`Saved “${key.name}”.`);
              reload();
            }}
            onCancel={() => setEditing(null)}
          />
        </Dialog>
      )}

      {revoking && (
        <ConfirmDialog title="Revoke this key?" confirmLabel="Revoke" danger busy={busy} onConfirm={() => void revoke(revoking)} onCancel={() => setRevoking(null)}>
          <p>
            Programs using “{revoking.name}” (<code>{revoking.prefix}…</code>) will be refused from now on. This cannot be undone.
          </p>
        </ConfirmDialog>
      )}
    </div>
  );
}

interface KeyFormProps {
  /** The key to change; without it the form creates a new one. */
  editing?: ApiKey;
  onSaved: (key: NewApiKey | ApiKey) => void;
  onCancel?: () => void;
}

/** Creates a key, or changes one's name, scopes, flows and expiry (its team stays). */
function KeyForm({ editing, onSaved, onCancel }: KeyFormProps) {
  const me = useSessionStore((s) => s.me);
  const currentTeamId = useSessionStore((s) => s.teamId);
  const ids = useId();
  const [name, setName] = useState(editing?.name ?? '');
  const [teamId, setTeamId] = useState<number | null>(editing ? editing.team : currentTeamId);
  const role = me?.teams.find((t) => t.id === teamId)?.role ?? null;
  const allowed = useMemo(() => scopesAllowed(role), [role]);
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

  useEffect(() => {
    if (!editing && teamId === null && currentTeamId !== null) setTeamId(currentTeamId);
  }, [editing, teamId, currentTeamId]);

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
