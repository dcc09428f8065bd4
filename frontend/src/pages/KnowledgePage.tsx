import { useId, useState, type FormEvent } from 'react';
import { Link, useNavigate } from 'react-router';
import { describeError } from '../api/client';
import { useCredentials } from '../api/credentials/credentials';
import { createKnowledgeBase, deleteKnowledgeBase, useKnowledgeBases } from '../api/knowledge/knowledgeBases';
import type { KnowledgeBase } from '../api/types';
import { DeleteKnowledgeBaseDialog } from '../components/knowledge/DeleteKnowledgeBaseDialog';
import { Dialog } from '../components/ui/Dialog';
import { formatRelative } from '../lib/format';
import { can } from '../lib/permissions';
import { useCurrentTeam, useSessionStore } from '../stores/sessionStore';
import { toast } from '../stores/toastStore';
import { useConfirmedRemoval } from '../hooks/useConfirmedRemoval';

const DEFAULT_EMBEDDING_MODEL = 'text-embedding-3-small';

/** The team's knowledge bases: documents that retrieve and agent nodes search. */
export function KnowledgePage() {
  const teamId = useSessionStore((s) => s.teamId);
  const team = useCurrentTeam();
  const writable = can(team?.role, 'knowledge.write');
  const { data, error, loading, reload } = useKnowledgeBases(teamId);
  const [creating, setCreating] = useState(false);
  const removal = useConfirmedRemoval<KnowledgeBase>({
    remove: (kb) => deleteKnowledgeBase(kb.id),
    nameOf: (kb) => kb.name,
    onRemoved: () => reload(),
  });
  const deleting = removal.target;

  return (
    <div className="page" data-testid="knowledge-page">
      <header className="page__header">
        <div>
          <h1>Knowledge</h1>
          <p className="muted">Documents that retrieve and agent nodes search{team ? ` in ${team.name}` : ''}.</p>
        </div>
        {writable && (
          <button type="button" className="button button--primary" onClick={() => setCreating(true)} data-testid="new-knowledge-base">
            New knowledge base
          </button>
        )}
      </header>
      {loading && !data && <p className="muted">Loading knowledge bases…</p>}
      {error && <p className="error-text">Could not load the knowledge bases: {error.message}</p>}
      {data && data.length === 0 && (
        <div className="empty">
          <p>No knowledge bases in this team yet.</p>
          {writable && (
            <button type="button" className="button button--primary" onClick={() => setCreating(true)}>
              Create the first one
            </button>
          )}
        </div>
      )}
      {data && data.length > 0 && (
        <table className="table" data-testid="knowledge-bases-table">
          <thead>
            <tr>
              <th>Name</th>
              <th className="num">Documents</th>
              <th>Search</th>
              <th>Updated</th>
              <th aria-label="Actions" />
            </tr>
          </thead>
          <tbody>
            {data.map((kb) => (
              <tr key={kb.id} data-testid="knowledge-base-row" data-kb-id={kb.id}>
                <td>
                  <Link to={`/knowledge/${kb.id}`} className="table__main" data-testid="knowledge-base-link">
                    {kb.name}
                  </Link>
                  {kb.description && <div className="muted small">{kb.description}</div>}
                </td>
                <td className="num">{kb.document_count ?? ''}</td>
                <td className="small">{kb.embedding ? `Text and meaning (${kb.embedding.model})` : 'Text'}</td>
                <td className="muted small">{formatRelative(kb.updated_at)}</td>
                <td className="table__actions">
                  {writable && (
                    <button type="button" className="button button--small button--ghost-danger" onClick={() => removal.ask(kb)} data-testid="delete-knowledge-base">
                      Delete
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {creating && teamId !== null && <NewKnowledgeBaseDialog teamId={teamId} onClose={() => setCreating(false)} />}
      {deleting && (
        <DeleteKnowledgeBaseDialog kb={deleting} busy={removal.busy} onConfirm={() => void removal.confirm()} onCancel={removal.cancel} />
      )}
    </div>
  );
}

function NewKnowledgeBaseDialog({ teamId, onClose }: { teamId: number; onClose: () => void }) {
  const ids = useId();
  const navigate = useNavigate();
  const team = useCurrentTeam();
  const [name, setName] = useState('');
  const [description, setDescription] = useState('');
  const [embed, setEmbed] = useState(false);
  const [credentialId, setCredentialId] = useState<number | null>(null);
  const [model, setModel] = useState(DEFAULT_EMBEDDING_MODEL);
  const [problem, setProblem] = useState<string | null>(null);
  const [saving, setSaving] = useState(false);
  const { data: credentials, loading: credentialsLoading } = useCredentials(embed ? teamId : null);
  const usable = (credentials ?? []).filter((c) => c.provider === 'openai');
  const chosen = credentialId ?? usable[0]?.id ?? null;

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setProblem(null);
    if (!name.trim()) return setProblem('The knowledge base needs a name.');
    if (embed && chosen === null) return setProblem('Choose the credential that makes embeddings, or search by text only.');
    if (embed && !model.trim()) return setProblem('Name the embedding model, e.g. text-embedding-3-small.');
    setSaving(true);
    try {
      const kb = await createKnowledgeBase({
        team: teamId,
        name: name.trim(),
        description: description.trim(),
        embedding: embed && chosen !== null ? { credential: chosen, model: model.trim() } : null,
      });
      toast.success(`Created “${kb.name}”. Add documents to it.`);
      onClose();
      navigate(`/knowledge/${kb.id}`);
    } catch (err) {
      setProblem(describeError(err));
    } finally {
      setSaving(false);
    }
  };

  return (
    <Dialog title="New knowledge base" onClose={onClose} testId="knowledge-base-dialog">
      <form onSubmit={submit} noValidate>
        <label className="field">
          <span className="field__label">Name</span>
          <input className="input" value={name} onChange={(e) => setName(e.target.value)} maxLength={200} data-autofocus data-testid="knowledge-base-name" />
        </label>
        <label className="field">
          <span className="field__label">Description (optional)</span>
          <textarea className="input" rows={2} value={description} onChange={(e) => setDescription(e.target.value)} data-testid="knowledge-base-description" />
        </label>
        <fieldset className="fieldset">
          <legend className="field__label">Search</legend>
          <label className="check">
            <input type="radio" name={`${ids}-search`} checked={!embed} onChange={() => setEmbed(false)} />
            By text only (no model needed)
          </label>
          <label className="check">
            <input type="radio" name={`${ids}-search`} checked={embed} onChange={() => setEmbed(true)} data-testid="knowledge-base-embed" />
            By text and meaning, with an embedding model
          </label>
          {embed && (
            <div className="indent">
              {credentialsLoading && <p className="muted small">Loading credentials…</p>}
              {credentials && usable.length === 0 && (
                <p className="muted small" data-testid="no-embedding-credential">
                  Embeddings need an OpenAI-compatible credential in this team.{' '}
                  {can(team?.role, 'credentials.manage') ? <Link to="/credentials">Add one</Link> : 'Ask an owner to add one.'}
                </p>
              )}
              {usable.length > 0 && (
                <>
                  <label className="field">
                    <span className="field__label">Credential</span>
                    <select className="input" value={chosen ?? ''} onChange={(e) => setCredentialId(Number(e.target.value))} data-testid="knowledge-base-credential">
                      {usable.map((c) => (
                        <option key={c.id} value={c.id}>
                          {c.name}
                        </option>
                      ))}
                    </select>
                  </label>
                  <label className="field">
                    <span className="field__label">Embedding model</span>
                    <input className="input" value={model} onChange={(e) => setModel(e.target.value)} data-testid="knowledge-base-model" />
                  </label>
                </>
              )}
            </div>
          )}
        </fieldset>
        {problem && (
          <p className="error-text" role="alert" data-testid="knowledge-base-error">
            {problem}
          </p>
        )}
        <div className="dialog__actions">
          <button type="button" className="button" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" className="button button--primary" disabled={saving} data-testid="knowledge-base-save">
            {saving ? 'Creating…' : 'Create'}
          </button>
        </div>
      </form>
    </Dialog>
  );
}
