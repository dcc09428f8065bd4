import { useEffect, useState } from 'react';
import { revokeApiKey, useApiKeys } from '../api/apiKeys';
import { listFlows } from '../api/flows';
import type { ApiKey, NewApiKey } from '../api/types';
import { ApiKeyForm } from '../components/apiKeys/ApiKeyForm';
import { Dialog } from '../components/ui/Dialog';
import { ResourceTable } from '../components/ui/ResourceTable';
import { copyText } from '../components/ui/copyText';
import { useConfirmedRemoval } from '../hooks/useConfirmedRemoval';
import { describeKeyFlows } from '../lib/apiKeyForm';
import { formatRelative, formatTime } from '../lib/format';
import { can, SCOPE_LABELS, teamIn, teamLabel } from '../lib/permissions';
import { useSessionStore } from '../stores/sessionStore';
import { toast } from '../stores/toastStore';
import './ApiKeysPage.css';

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
  const [editing, setEditing] = useState<ApiKey | null>(null);
  const revocation = useConfirmedRemoval<ApiKey>({
    remove: (key) => revokeApiKey(key.id),
    nameOf: (key) => key.name,
    onRemoved: () => reload(),
    verbs: { done: 'Revoked', failed: 'Not revoked' },
    keepOpenOnFailure: true,
  });
  const flowNames = useFlowNames((keys ?? []).flatMap((k) => (k.flows.length && k.team !== null ? [k.team] : [])));
  const teamName = (id: number | null) => {
    if (id === null) return 'Every team';
    const team = me?.teams.find((t) => t.id === id);
    return team ? teamLabel(team) : `team ${id}`;
  };
  // Whoever may revoke a key may also change it (the server checks both the same way).
  const mayRevoke = (k: ApiKey) =>
    k.state !== 'revoked' && (k.user === me?.username || can(teamIn(me, k.team), 'team.manage'));

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
      <ResourceTable
        items={keys}
        loading={loading}
        error={error}
        noun="keys"
        empty={
          <div className="empty empty--small">
            <p>No keys yet. Create one below for a program, a CI job or a script.</p>
          </div>
        }
        testId="api-keys-table"
        columns={[
          {
            header: 'Name',
            cell: (k) => (
              <>
                <div className="table__main">{k.name}</div>
                <code className="muted small">{k.prefix}…</code>
                {k.state !== 'active' && <span className={`badge badge--${k.state === 'revoked' ? 'cancelled' : 'waiting'}`}>{k.state}</span>}
              </>
            ),
          },
          { header: 'Team', cellClassName: 'small', cell: (k) => teamName(k.team) },
          {
            header: 'Scopes',
            cell: (k) => (
              <div className="chips">
                {k.scopes.map((s) => (
                  <span key={s} className="badge" title={SCOPE_LABELS[s]} data-testid="api-key-scope">
                    {s}
                  </span>
                ))}
              </div>
            ),
          },
          { header: 'Flows', cellClassName: 'small', cellTestId: 'api-key-flows', cell: (k) => describeKeyFlows(k, flowNames) },
          { header: 'Expires', cellClassName: 'small', cell: (k) => (k.expires_at ? formatTime(k.expires_at) : 'never') },
          { header: 'Last used', cellClassName: 'muted small', cell: (k) => (k.last_used_at ? formatRelative(k.last_used_at) : 'never') },
          {
            header: 'Created',
            cellClassName: 'muted small',
            cell: (k) => (
              <>
                {formatRelative(k.created_at)}
                {k.user && k.user !== me?.username ? ` · ${k.user}` : ''}
              </>
            ),
          },
        ]}
        rowKey={(k) => k.id}
        rowProps={(k) => ({ 'data-testid': 'api-key-row', 'data-key-id': k.id, 'data-state': k.state })}
        actions={(k) =>
          mayRevoke(k) && (
            <>
              <button type="button" className="button button--small" onClick={() => setEditing(k)} data-testid="edit-api-key">
                Edit
              </button>
              <button type="button" className="button button--small button--ghost-danger" onClick={() => revocation.ask(k)} data-testid="revoke-api-key">
                Revoke
              </button>
            </>
          )
        }
        removal={revocation}
        confirm={{
          title: 'Revoke this key?',
          confirmLabel: 'Revoke',
          body: (k) => (
            <p>
              Programs using “{k.name}” (<code>{k.prefix}…</code>) will be refused from now on. This cannot be undone.
            </p>
          ),
        }}
      />

      <section className="section">
        <h2>New key</h2>
        <ApiKeyForm
          onSaved={(key) => {
            setCreated(key as NewApiKey);
            reload();
          }}
        />
      </section>

      {editing && (
        <Dialog title={`Edit key “${editing.name}”`} onClose={() => setEditing(null)} testId="edit-api-key-dialog" wide>
          <ApiKeyForm
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

    </div>
  );
}
