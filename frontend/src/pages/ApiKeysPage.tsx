import { useState, type FormEvent } from 'react';
import { ApiError, describeError } from '../api/client';
import { createApiKey, revokeApiKey, useApiKeys } from '../api/apiKeys/apiKeys';
import type { ApiKey } from '../api/types';
import { ConfirmDialog } from '../components/ui/ConfirmDialog';
import { copyText } from '../components/ui/copyText';
import { formatRelative } from '../lib/format';
import { toast } from '../stores/toastStore';

export function ApiKeysPage() {
  const { data, error, loading, reload } = useApiKeys();
  const [name, setName] = useState('');
  const [created, setCreated] = useState<ApiKey | null>(null);
  const [revoking, setRevoking] = useState<ApiKey | null>(null);
  const notThere = error instanceof ApiError && error.status === 404;

  const create = async (e: FormEvent) => {
    e.preventDefault();
    if (!name.trim()) return;
    try {
      const key = await createApiKey(name.trim());
      setCreated(key);
      setName('');
      reload();
    } catch (err) {
      toast.error(`Not created: ${describeError(err)}`);
    }
  };

  const revoke = async (key: ApiKey) => {
    try {
      await revokeApiKey(key.id);
      setRevoking(null);
      toast.success(`Revoked “${key.name}”.`);
      reload();
    } catch (err) {
      toast.error(`Not revoked: ${describeError(err)}`);
    }
  };

  return (
    <div className="page page--narrow" data-testid="api-keys-page">
      <header className="page__header">
        <div>
          <h1>API keys</h1>
          <p className="muted">
            Programs call the API with <code>Authorization: Bearer &lt;key&gt;</code>.
          </p>
        </div>
      </header>
      {created?.key && (
        <div className="notice" data-testid="new-api-key">
          <p>
            Your new key “{created.name}”. Copy it now: it is not shown again.
          </p>
          <div className="hstack gap">
            <code className="secret">{created.key}</code>
            <button type="button" className="button button--small" onClick={() => copyText(created.key ?? '').then((ok) => ok && toast.success('Copied.'))}>
              Copy
            </button>
            <button type="button" className="button button--small" onClick={() => setCreated(null)}>
              Done
            </button>
          </div>
        </div>
      )}
      {loading && !data && <p className="muted">Loading keys…</p>}
      {notThere && <p className="muted" data-testid="api-keys-unavailable">API keys cannot be managed here yet; use <code>manage.py create_api_key</code>.</p>}
      {error && !notThere && <p className="error-text">{error.message}</p>}
      {data && data.length === 0 && <p className="muted">No keys yet.</p>}
      {data && data.length > 0 && (
        <table className="table" data-testid="api-keys-table">
          <thead>
            <tr>
              <th>Name</th>
              <th>Key</th>
              <th>Created</th>
              <th>Last used</th>
              <th aria-label="Actions" />
            </tr>
          </thead>
          <tbody>
            {data.map((k) => (
              <tr key={String(k.id)} data-testid="api-key-row">
                <td>{k.name}</td>
                <td>
                  <code>{k.prefix ? `${k.prefix}…` : '••••'}</code>
                </td>
                <td className="muted small">{formatRelative(k.created_at)}</td>
                <td className="muted small">{k.last_used_at ? formatRelative(k.last_used_at) : 'never'}</td>
                <td className="table__actions">
                  <button type="button" className="button button--small button--ghost-danger" onClick={() => setRevoking(k)}>
                    Revoke
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {!notThere && (
        <form className="hstack gap form-inline" onSubmit={create} data-testid="create-api-key-form">
          <input className="input" placeholder="Key name, e.g. ci" value={name} onChange={(e) => setName(e.target.value)} aria-label="Key name" />
          <button type="submit" className="button button--primary" disabled={!name.trim()}>
            Create key
          </button>
        </form>
      )}
      {revoking && (
        <ConfirmDialog title="Revoke this key?" confirmLabel="Revoke" danger onConfirm={() => void revoke(revoking)} onCancel={() => setRevoking(null)}>
          <p>Programs using “{revoking.name}” will be refused from now on.</p>
        </ConfirmDialog>
      )}
    </div>
  );
}
