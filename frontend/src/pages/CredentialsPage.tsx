import { useId, useState, type FormEvent } from 'react';
import { describeError } from '../api/client';
import { createCredential, deleteCredential, patchCredential, useCredentials } from '../api/credentials';
import type { Credential, CredentialProvider } from '../api/types';
import { Dialog } from '../components/ui/Dialog';
import { ResourceTable } from '../components/ui/ResourceTable';
import { baseUrlProblem, credentialData, FIELD_LABELS, PROVIDERS, providerLabel } from '../lib/credentialForm';
import { formatRelative } from '../lib/format';
import { can } from '../lib/permissions';
import { useCurrentTeam, useSessionStore } from '../stores/sessionStore';
import { toast } from '../stores/toastStore';
import { useConfirmedRemoval } from '../hooks/useConfirmedRemoval';

type Editing = { kind: 'create' } | { kind: 'edit'; credential: Credential } | null;

/** The team's model provider credentials: names only; values go in and never come out. */
export function CredentialsPage() {
  const teamId = useSessionStore((s) => s.teamId);
  const team = useCurrentTeam();
  const mayRead = can(team, 'credentials.use');
  const mayManage = can(team, 'credentials.manage');
  const { data, error, loading, reload } = useCredentials(mayRead ? teamId : null);
  const [editing, setEditing] = useState<Editing>(null);
  const removal = useConfirmedRemoval<Credential>({
    remove: (credential) => deleteCredential(credential.id),
    nameOf: (credential) => credential.name,
    onRemoved: () => reload(),
  });

  return (
    <div className="page page--narrow" data-testid="credentials-page">
      <header className="page__header">
        <div>
          <h1>Credentials</h1>
          <p className="muted">
            Keys for model providers, used by LLM, agent and embedding nodes{team ? ` of ${team.name}` : ''}. Values are encrypted
            and never shown again.
          </p>
        </div>
        {mayManage && (
          <button type="button" className="button button--primary" onClick={() => setEditing({ kind: 'create' })} data-testid="new-credential">
            New credential
          </button>
        )}
      </header>
      {team && !mayRead && (
        <p className="muted" data-testid="credentials-not-allowed">
          Only editors and owners of {team.name} see its credentials; you are {team.role}.
        </p>
      )}
      {mayRead && !mayManage && (
        <p className="muted small" data-testid="credentials-read-only">
          Only owners add, change or delete credentials; editors pick them in nodes.
        </p>
      )}
      <ResourceTable
        items={data}
        loading={loading}
        error={error}
        noun="credentials"
        empty={
          <div className="empty">
            <p>No credentials in this team yet.</p>
            {mayManage && (
              <button type="button" className="button button--primary" onClick={() => setEditing({ kind: 'create' })}>
                Add the first one
              </button>
            )}
          </div>
        }
        testId="credentials-table"
        columns={[
          { header: 'Name', cellClassName: 'table__main', cell: (c) => c.name },
          { header: 'Provider', cell: (c) => providerLabel(c.provider) },
          {
            header: 'Set',
            cellClassName: 'small',
            cell: (c) => (c.fields.length ? c.fields.map((f) => FIELD_LABELS[f] ?? f).join(', ') : 'nothing'),
          },
          {
            header: 'Created',
            cellClassName: 'muted small',
            cell: (c) => (
              <>
                {formatRelative(c.created_at)}
                {c.created_by ? ` · ${c.created_by}` : ''}
              </>
            ),
          },
        ]}
        rowKey={(c) => c.id}
        rowProps={(c) => ({ 'data-testid': 'credential-row', 'data-credential-id': c.id })}
        actions={(c) =>
          mayManage && (
            <>
              <button type="button" className="button button--small" onClick={() => setEditing({ kind: 'edit', credential: c })} data-testid="edit-credential">
                Edit
              </button>
              <button type="button" className="button button--small button--ghost-danger" onClick={() => removal.ask(c)} data-testid="delete-credential">
                Delete
              </button>
            </>
          )
        }
        removal={removal}
        confirm={{
          title: 'Delete this credential?',
          body: (c) => (
            <p>
              Nodes using “{c.name}” will fail until another credential is chosen, and knowledge bases that embed with it keep text
              search only. This cannot be undone.
            </p>
          ),
        }}
      />
      {editing && teamId !== null && (
        <CredentialDialog
          teamId={teamId}
          credential={editing.kind === 'edit' ? editing.credential : null}
          onClose={() => setEditing(null)}
          onSaved={(c) => {
            setEditing(null);
            toast.success(editing.kind === 'edit' ? `Saved “${c.name}”.` : `Added “${c.name}”.`);
            reload();
          }}
        />
      )}
    </div>
  );
}

interface CredentialDialogProps {
  teamId: number;
  credential: Credential | null;
  onClose: () => void;
  onSaved: (credential: Credential) => void;
}

function CredentialDialog({ teamId, credential, onClose, onSaved }: CredentialDialogProps) {
  const ids = useId();
  const editing = credential !== null;
  const [name, setName] = useState(credential?.name ?? '');
  const [provider, setProvider] = useState<CredentialProvider>(credential?.provider ?? 'openai');
  const [apiKey, setApiKey] = useState('');
  const [baseUrl, setBaseUrl] = useState('');
  const [clearApiKey, setClearApiKey] = useState(false);
  const [clearBaseUrl, setClearBaseUrl] = useState(false);
  const [problem, setProblem] = useState<string | null>(null);
  const [saving, setSaving] = useState(false);
  const hasKey = !!credential?.fields.includes('api_key');
  const hasBaseUrl = !!credential?.fields.includes('base_url');
  const defaultBaseUrl = PROVIDERS.find((p) => p.value === provider)?.defaultBaseUrl ?? '';

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setProblem(null);
    if (!name.trim()) return setProblem('The credential needs a name.');
    const urlProblem = baseUrlProblem(baseUrl);
    if (urlProblem) return setProblem(urlProblem);
    const data = credentialData({ apiKey, baseUrl, clearApiKey, clearBaseUrl }, editing);
    setSaving(true);
    try {
      const saved = credential
        ? await patchCredential(credential.id, {
            ...(name.trim() !== credential.name ? { name: name.trim() } : {}),
            ...(provider !== credential.provider ? { provider } : {}),
            ...(data ? { data } : {}),
          })
        : await createCredential({ team: teamId, name: name.trim(), provider, data: data ?? {} });
      onSaved(saved);
    } catch (err) {
      setProblem(describeError(err));
    } finally {
      setSaving(false);
    }
  };

  return (
    <Dialog title={editing ? `Edit “${credential.name}”` : 'New credential'} onClose={onClose} testId="credential-dialog">
      <form onSubmit={submit} noValidate autoComplete="off">
        <label className="field">
          <span className="field__label">Name</span>
          <input className="input" value={name} onChange={(e) => setName(e.target.value)} maxLength={100} data-autofocus data-testid="credential-name" />
        </label>
        <label className="field">
          <span className="field__label">Provider</span>
          <select className="input" value={provider} onChange={(e) => setProvider(e.target.value as CredentialProvider)} data-testid="credential-provider">
            {PROVIDERS.map((p) => (
              <option key={p.value} value={p.value}>
                {p.label}
              </option>
            ))}
          </select>
          {provider === 'openai' && (
            <span className="muted small">Any OpenAI-compatible API: OpenAI, Ollama, vLLM, LM Studio, OpenRouter…</span>
          )}
        </label>
        <div className="field">
          <label className="field__label" htmlFor={`${ids}-key`}>
            API key
          </label>
          <input
            id={`${ids}-key`}
            className="input"
            type="password"
            autoComplete="new-password"
            value={apiKey}
            onChange={(e) => setApiKey(e.target.value)}
            placeholder={hasKey ? '•••••••• (stored; leave blank to keep)' : provider === 'anthropic' ? 'sk-ant-…' : 'sk-…'}
            aria-describedby={`${ids}-key-help`}
            data-testid="credential-api-key"
          />
          <span id={`${ids}-key-help`} className="muted small">
            {hasKey ? 'Leave blank to keep the stored key.' : 'A local server such as Ollama may need none.'}
          </span>
          {editing && hasKey && !apiKey && (
            <label className="check small">
              <input type="checkbox" checked={clearApiKey} onChange={(e) => setClearApiKey(e.target.checked)} />
              Remove the stored key
            </label>
          )}
        </div>
        <div className="field">
          <label className="field__label" htmlFor={`${ids}-url`}>
            Base URL (optional)
          </label>
          <input
            id={`${ids}-url`}
            className="input"
            type="url"
            value={baseUrl}
            onChange={(e) => setBaseUrl(e.target.value)}
            placeholder={hasBaseUrl ? 'stored; leave blank to keep' : defaultBaseUrl}
            aria-describedby={`${ids}-url-help`}
            data-testid="credential-base-url"
          />
          <span id={`${ids}-url-help`} className="muted small">
            Default {defaultBaseUrl}
            {provider === 'openai' ? '; Ollama: http://127.0.0.1:11434/v1 (the server must allow it in BATON_HTTP_ALLOW)' : ''}.
          </span>
          {editing && hasBaseUrl && !baseUrl && (
            <label className="check small">
              <input type="checkbox" checked={clearBaseUrl} onChange={(e) => setClearBaseUrl(e.target.checked)} />
              Remove the stored base URL (use the default)
            </label>
          )}
        </div>
        {problem && (
          <p className="error-text" role="alert" data-testid="credential-error">
            {problem}
          </p>
        )}
        <div className="dialog__actions">
          <button type="button" className="button" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" className="button button--primary" disabled={saving} data-testid="credential-save">
            {saving ? 'Saving…' : editing ? 'Save' : 'Add credential'}
          </button>
        </div>
      </form>
    </Dialog>
  );
}
