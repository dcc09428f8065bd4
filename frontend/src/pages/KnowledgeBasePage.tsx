import { useEffect, useState } from 'react';
import { Link, useNavigate, useParams } from 'react-router';
import { ApiError, describeError } from '../api/client';
import { deleteDocument, deleteKnowledgeBase, uploadDocument, useDocuments, useKnowledgeBase } from '../api/knowledge';
import type { KnowledgeDocument } from '../api/types';
import { DeleteKnowledgeBaseDialog } from '../components/knowledge/DeleteKnowledgeBaseDialog';
import { DocumentDropZone } from '../components/knowledge/DocumentDropZone';
import { RenameKnowledgeBaseDialog } from '../components/knowledge/RenameKnowledgeBaseDialog';
import { ResourceTable } from '../components/ui/ResourceTable';
import { documentProblem, formatBytes } from '../lib/documents';
import { formatRelative } from '../lib/format';
import { can, teamIn } from '../lib/permissions';
import { useSessionStore } from '../stores/sessionStore';
import { toast } from '../stores/toastStore';
import { useConfirmedRemoval } from '../hooks/useConfirmedRemoval';
import './KnowledgeBasePage.css';

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
  const writable = can(teamIn(me, kb?.team), 'knowledge.write');
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

  const docRemoval = useConfirmedRemoval<KnowledgeDocument>({
    remove: (doc) => deleteDocument(kbId, doc.id),
    nameOf: (doc) => doc.name,
    onRemoved: () => {
      reloadDocs();
      reloadKb();
    },
  });

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
      {kb && writable && <DocumentDropZone onFiles={(files) => void upload(files)} />}
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
          <ResourceTable
            items={docs.data}
            loading={docs.loading}
            error={docs.error}
            noun="documents"
            empty={
              <p className="muted" data-testid="no-documents">
                No documents yet.
              </p>
            }
            testId="documents-table"
            columns={[
              { header: 'Name', cellClassName: 'table__main', cellTestId: 'document-name', cell: (d) => d.name },
              { header: 'Type', cellClassName: 'muted small', cell: (d) => d.content_type || '—' },
              { header: 'Size', className: 'num', cellClassName: 'small', cell: (d) => formatBytes(d.size) },
              {
                header: 'Status',
                cell: (d) => (
                  <>
                    <span className={`badge badge--${d.status === 'ready' ? 'succeeded' : d.status === 'failed' ? 'failed' : 'running'}`} data-testid="document-status">
                      {d.status}
                    </span>
                    {d.error && <div className="error-text small">{d.error}</div>}
                  </>
                ),
              },
              { header: 'Chunks', className: 'num', cellTestId: 'document-chunks', cell: (d) => d.chunk_count },
              {
                header: 'Added',
                cellClassName: 'muted small',
                cell: (d) => (
                  <>
                    {formatRelative(d.created_at)}
                    {d.created_by ? ` · ${d.created_by}` : ''}
                  </>
                ),
              },
            ]}
            rowKey={(d) => d.id}
            rowProps={(d) => ({ 'data-testid': 'document-row', 'data-document-id': d.id })}
            actions={(d) =>
              writable && (
                <button type="button" className="button button--small button--ghost-danger" onClick={() => docRemoval.ask(d)} data-testid="delete-document">
                  Delete
                </button>
              )
            }
            removal={docRemoval}
            confirm={{
              title: 'Delete this document?',
              body: (d) => <p>“{d.name}” and its chunks will no longer be found by searches. This cannot be undone.</p>,
            }}
          />
        </section>
      )}
      {renaming && kb && (
        <RenameKnowledgeBaseDialog
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
    </div>
  );
}
