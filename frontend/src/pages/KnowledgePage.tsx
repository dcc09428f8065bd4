import { useId, useState, type FormEvent } from 'react';
import { Link, useNavigate } from 'react-router';
import { describeError } from '../api/client';
import { useCredentials } from '../api/credentials';
import { createKnowledgeBase, deleteKnowledgeBase, useKnowledgeBases } from '../api/knowledge';
import type { KnowledgeBase } from '../api/types';
import { DELETE_KNOWLEDGE_BASE_TITLE, KnowledgeBaseDeletion } from '../components/knowledge/DeleteKnowledgeBaseDialog';
import { Dialog } from '../components/ui/Dialog';
import { ResourceTable } from '../components/ui/ResourceTable';
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
  const writable = can(team, 'knowledge.write');
  const { data, error, loading, reload } = useKnowledgeBases(teamId);
  const [creating, setCreating] = useState(false);
  const removal = useConfirmedRemoval<KnowledgeBase>({
    remove: (kb) => deleteKnowledgeBase(kb.id),
    nameOf: (kb) => kb.name,
    onRemoved: () => reload(),
  });

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
      <ResourceTable
        items={data}
        loading={loading}
        error={error}
        noun="knowledge bases"
        empty={
          <div className="empty">
            <p>No knowledge bases in this team yet.</p>
            {writable && (
              <button type="button" className="button button--primary" onClick={() => setCreating(true)}>
                Create the first one
              </button>
            )}
          </div>
        }
        testId="knowledge-bases-table"
        columns={[
          {
            header: 'Name',
            cell: (kb) => (
              <>
                <Link to={`/knowledge/${kb.id}`} className="table__main" data-testid="knowledge-base-link">
                  {kb.name}
                </Link>
                {kb.description && <div className="muted small">{kb.description}</div>}
              </>
            ),
          },
          { header: 'Documents', className: 'num', cell: (kb) => kb.document_count ?? '' },
          { header: 'Search', cellClassName: 'small', cell: (kb) => (kb.embedding ? `Text and meaning (${kb.embedding.model})` : 'Text') },
          { header: 'Updated', cellClassName: 'muted small', cell: (kb) => formatRelative(kb.updated_at) },
        ]}
        rowKey={(kb) => kb.id}
        rowProps={(kb) => ({ 'data-testid': 'knowledge-base-row', 'data-kb-id': kb.id })}
        actions={(kb) =>
          writable && (
            <button type="button" className="button button--small button--ghost-danger" onClick={() => removal.ask(kb)} data-testid="delete-knowledge-base">
              Delete
            </button>
          )
        }
        removal={removal}
        confirm={{ title: DELETE_KNOWLEDGE_BASE_TITLE, body: (kb) => <KnowledgeBaseDeletion kb={kb} /> }}
      />
      {creating && teamId !== null && <NewKnowledgeBaseDialog teamId={teamId} onClose={() => setCreating(false)} />}
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
                  {can(team, 'credentials.manage') ? <Link to="/credentials">Add one</Link> : 'Ask an owner to add one.'}
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
