import { useEffect, useRef, useState, type DragEvent, type FormEvent } from 'react';
import { Link, useNavigate, useParams } from 'react-router';
import { ApiError, describeError } from '../api/client';
import {
  deleteDocument,
  deleteKnowledgeBase,
  patchKnowledgeBase,
  uploadDocument,
  useDocuments,
  useKnowledgeBase,
} from '../api/knowledge/knowledgeBases';
import type { KnowledgeBase, KnowledgeDocument } from '../api/types';
import { DeleteKnowledgeBaseDialog } from '../components/knowledge/DeleteKnowledgeBaseDialog';
import { ConfirmDialog } from '../components/ui/ConfirmDialog';
import { Dialog } from '../components/ui/Dialog';
import { DOCUMENT_ACCEPT, documentProblem, formatBytes } from '../lib/documents';
import { formatRelative } from '../lib/format';
import { can } from '../lib/permissions';
import { useSessionStore } from '../stores/sessionStore';
import { toast } from '../stores/toastStore';
import { useConfirmedRemoval } from '../hooks/useConfirmedRemoval';

interface Upload {
  id: number;
  name: string;
  state: 'waiting' | 'uploading' | 'done' | 'failed';
  message: string;
}

const POLL_MS = 2000;
let uploadCounter = 0;

/** One knowledge base: its documents, uploading more, and deleting. */
export function KnowledgeBasePage() {
  const { id } = useParams();
  const kbId = Number(id);
  const valid = Number.isInteger(kbId) && kbId > 0;
  const me = useSessionStore((s) => s.me);
  const { data: kb, error, loading, setData: setKb, reload: reloadKb } = useKnowledgeBase(valid ? kbId : null);
  const docs = useDocuments(valid ? kbId : null);
  const navigate = useNavigate();
  const role = me?.teams.find((t) => t.id === kb?.team)?.role ?? null;
  const writable = can(role, 'knowledge.write');
  const [renaming, setRenaming] = useState(false);
  const [deletingKb, setDeletingKb] = useState(false);
  const [busy, setBusy] = useState(false);
  const [uploads, setUploads] = useState<Upload[]>([]);
  const reloadDocs = docs.reload;

  // A knowledge base belongs to one team: the switcher follows the page.
  const kbTeam = kb?.team ?? null;
  useEffect(() => {
    const state = useSessionStore.getState();
    if (kbTeam !== null && state.teamId !== kbTeam && state.me?.teams.some((t) => t.id === kbTeam)) state.selectTeam(kbTeam);
  }, [kbTeam]);

  // Documents a worker is reading or embedding change status on their own: look again.
  const working = docs.data?.some((d) => d.status === 'processing' || d.status === 'embedding') ?? false;
  useEffect(() => {
    if (!working) return;
    const timer = window.setInterval(reloadDocs, POLL_MS);
    return () => window.clearInterval(timer);
  }, [working, reloadDocs]);

  if (!valid) return <p className="pad error-text">No such knowledge base.</p>;

  const upload = async (files: File[]) => {
    if (!files.length) return;
    const batch: Upload[] = files.map((f) => {
      const problem = documentProblem(f);
      return { id: ++uploadCounter, name: f.name, state: problem ? 'failed' : 'waiting', message: problem ?? '' };
    });
    setUploads((u) => [...u.filter((x) => x.state !== 'done'), ...batch]);
    const set = (uploadId: number, patch: Partial<Upload>) =>
      setUploads((u) => u.map((x) => (x.id === uploadId ? { ...x, ...patch } : x)));
    let added = 0;
    // One at a time: the server parses and indexes each as it arrives.
    for (const [i, file] of files.entries()) {
      const item = batch[i];
      if (item.state === 'failed') continue;
      set(item.id, { state: 'uploading' });
      try {
        const doc = await uploadDocument(kbId, file);
        added++;
        set(item.id, { state: 'done', message: `${doc.chunk_count} ${doc.chunk_count === 1 ? 'chunk' : 'chunks'}` });
        reloadDocs();
      } catch (err) {
        set(item.id, { state: 'failed', message: `${file.name}: ${describeError(err)}` });
      }
    }
    const failed = files.length - added;
    if (added) toast.success(`Added ${added} ${added === 1 ? 'document' : 'documents'}.`);
    if (failed) toast.error(`${failed} ${failed === 1 ? 'file was' : 'files were'} not added; see the list for why.`);
    reloadKb();
  };

  const docRemoval = useConfirmedRemoval<KnowledgeDocument>({
    remove: (doc) => deleteDocument(kbId, doc.id),
    nameOf: (doc) => doc.name,
    onRemoved: () => {
      reloadDocs();
      reloadKb();
    },
  });
  const deletingDoc = docRemoval.target;

  const removeKb = async () => {
    if (!kb) return;
    setBusy(true);
    try {
      await deleteKnowledgeBase(kb.id);
      toast.success(`Deleted “${kb.name}”.`);
      navigate('/knowledge');
    } catch (err) {
      setDeletingKb(false);
      toast.error(`Not deleted: ${describeError(err)}`);
    } finally {
      setBusy(false);
    }
  };

  return (
    <div className="page" data-testid="knowledge-base-page">
      <header className="page__header">
        <div>
          <p className="small">
            <Link to="/knowledge">Knowledge</Link> /
          </p>
          <h1 data-testid="knowledge-base-title">{kb?.name ?? 'Knowledge base'}</h1>
          {kb?.description && <p className="muted">{kb.description}</p>}
          {kb && (
            <p className="muted small">
              {kb.embedding ? `Searched by text and meaning with ${kb.embedding.model}` : 'Searched by text only'} · created{' '}
              {formatRelative(kb.created_at)}
              {kb.created_by ? ` by ${kb.created_by}` : ''}
            </p>
          )}
        </div>
        {kb && writable && (
          <div className="hstack gap">
            <button type="button" className="button" onClick={() => setRenaming(true)} data-testid="rename-knowledge-base">
              Rename…
            </button>
            <button type="button" className="button button--ghost-danger" onClick={() => setDeletingKb(true)} data-testid="delete-knowledge-base">
              Delete
            </button>
          </div>
        )}
      </header>
      {loading && !kb && <p className="muted">Loading…</p>}
      {error && (
        <p className="error-text">
          {error instanceof ApiError && error.status === 404 ? 'No such knowledge base, or it is not in your teams.' : error.message}
        </p>
      )}
      {kb && writable && <DropZone onFiles={(files) => void upload(files)} />}
      {uploads.length > 0 && (
        <ul className="upload-list" aria-label="Uploads" data-testid="uploads">
          {uploads.map((u) => (
            <li key={u.id} className={`upload upload--${u.state}`} data-testid="upload" data-state={u.state}>
              <span className="upload__name">{u.name}</span>
              <span className={u.state === 'failed' ? 'error-text small' : 'muted small'}>
                {u.state === 'waiting' ? 'waiting…' : u.state === 'uploading' ? 'uploading…' : u.state === 'done' ? `added · ${u.message}` : u.message}
              </span>
            </li>
          ))}
        </ul>
      )}
      {kb && (
        <section className="section" aria-labelledby="documents-title">
          <h2 id="documents-title">Documents</h2>
          {docs.loading && !docs.data && <p className="muted">Loading documents…</p>}
          {docs.error && <p className="error-text">Could not load the documents: {docs.error.message}</p>}
          {docs.data && docs.data.length === 0 && <p className="muted" data-testid="no-documents">No documents yet.</p>}
          {docs.data && docs.data.length > 0 && (
            <table className="table" data-testid="documents-table">
              <thead>
                <tr>
                  <th>Name</th>
                  <th>Type</th>
                  <th className="num">Size</th>
                  <th>Status</th>
                  <th className="num">Chunks</th>
                  <th>Added</th>
                  <th aria-label="Actions" />
                </tr>
              </thead>
              <tbody>
                {docs.data.map((d) => (
                  <tr key={d.id} data-testid="document-row" data-document-id={d.id}>
                    <td className="table__main" data-testid="document-name">
                      {d.name}
                    </td>
                    <td className="muted small">{d.content_type || '—'}</td>
                    <td className="num small">{formatBytes(d.size)}</td>
                    <td>
                      <span className={`badge badge--${d.status === 'ready' ? 'succeeded' : d.status === 'failed' ? 'failed' : 'running'}`} data-testid="document-status">
                        {d.status}
                      </span>
                      {d.error && <div className="error-text small">{d.error}</div>}
                    </td>
                    <td className="num" data-testid="document-chunks">
                      {d.chunk_count}
                    </td>
                    <td className="muted small">
                      {formatRelative(d.created_at)}
                      {d.created_by ? ` · ${d.created_by}` : ''}
                    </td>
                    <td className="table__actions">
                      {writable && (
                        <button type="button" className="button button--small button--ghost-danger" onClick={() => docRemoval.ask(d)} data-testid="delete-document">
                          Delete
                        </button>
                      )}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </section>
      )}
      {renaming && kb && (
        <RenameDialog
          kb={kb}
          onClose={() => setRenaming(false)}
          onSaved={(saved) => {
            setKb({ ...saved, document_count: saved.document_count ?? kb.document_count });
            setRenaming(false);
            toast.success('Saved.');
          }}
        />
      )}
      {deletingKb && kb && (
        <DeleteKnowledgeBaseDialog kb={kb} busy={busy} onConfirm={() => void removeKb()} onCancel={() => setDeletingKb(false)} />
      )}
      {deletingDoc && (
        <ConfirmDialog title="Delete this document?" confirmLabel="Delete" danger busy={docRemoval.busy} onConfirm={() => void docRemoval.confirm()} onCancel={docRemoval.cancel}>
          <p>“{deletingDoc.name}” and its chunks will no longer be found by searches. This cannot be undone.</p>
        </ConfirmDialog>
      )}
    </div>
  );
}

/** Drop files here, or choose them with the button (keyboard users). */
function DropZone({ onFiles }: { onFiles: (files: File[]) => void }) {
  const inputRef = useRef<HTMLInputElement>(null);
  const [over, setOver] = useState(false);
  const hasFiles = (e: DragEvent) => Array.from(e.dataTransfer.types).includes('Files');
  return (
    <div
      className={`dropzone${over ? ' dropzone--over' : ''}`}
      onDragOver={(e) => {
        if (!hasFiles(e)) return;
        e.preventDefault();
        e.dataTransfer.dropEffect = 'copy';
        setOver(true);
      }}
      onDragLeave={() => setOver(false)}
      onDrop={(e) => {
        if (!hasFiles(e)) return;
        e.preventDefault();
        setOver(false);
        onFiles(Array.from(e.dataTransfer.files));
      }}
      data-testid="dropzone"
    >
      <p>
        Drop files here, or{' '}
        <button type="button" className="button button--small" onClick={() => inputRef.current?.click()} data-testid="choose-files">
          Choose files…
        </button>
      </p>
      <p className="muted small">Text, Markdown, HTML or PDF; up to 20 MB each. Several at once are fine.</p>
      <input
        ref={inputRef}
        type="file"
        multiple
        accept={DOCUMENT_ACCEPT}
        hidden
        onChange={(e) => {
          const files = Array.from(e.target.files ?? []);
          e.target.value = '';
          onFiles(files);
        }}
        data-testid="document-input"
      />
    </div>
  );
}

function RenameDialog({ kb, onClose, onSaved }: { kb: KnowledgeBase; onClose: () => void; onSaved: (kb: KnowledgeBase) => void }) {
  const [name, setName] = useState(kb.name);
  const [description, setDescription] = useState(kb.description);
  const [problem, setProblem] = useState<string | null>(null);
  const [saving, setSaving] = useState(false);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (!name.trim()) return setProblem('The knowledge base needs a name.');
    setSaving(true);
    setProblem(null);
    try {
      onSaved(await patchKnowledgeBase(kb.id, { name: name.trim(), description: description.trim() }));
    } catch (err) {
      setProblem(describeError(err));
    } finally {
      setSaving(false);
    }
  };
  return (
    <Dialog title="Rename knowledge base" onClose={onClose} testId="rename-knowledge-base-dialog">
      <form onSubmit={submit} noValidate>
        <label className="field">
          <span className="field__label">Name</span>
          <input className="input" value={name} onChange={(e) => setName(e.target.value)} maxLength={200} data-autofocus data-testid="knowledge-base-name" />
        </label>
        <label className="field">
          <span className="field__label">Description</span>
          <textarea className="input" rows={2} value={description} onChange={(e) => setDescription(e.target.value)} />
        </label>
        {problem && (
          <p className="error-text" role="alert">
            {problem}
          </p>
        )}
        <div className="dialog__actions">
          <button type="button" className="button" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" className="button button--primary" disabled={saving} data-testid="knowledge-base-save">
            Save
          </button>
        </div>
      </form>
    </Dialog>
  );
}
