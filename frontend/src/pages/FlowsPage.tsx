import { useEffect, useRef, useState, type ChangeEvent } from 'react';
import { Link, useNavigate } from 'react-router';
import { describeError } from '../api/client';
import { createFlow, deleteFlow, getFlow, patchFlow, useFlows } from '../api/flows';
import type { FlowSummary } from '../api/types';
import { MoveCopyFlowDialog } from '../components/flows/MoveCopyFlowDialog';
import { PromptDialog } from '../components/ui/PromptDialog';
import { ResourceTable } from '../components/ui/ResourceTable';
import { useConfirmedRemoval } from '../hooks/useConfirmedRemoval';
import { downloadJson, flowFileName, parseFlowFile, toFlowFile } from '../lib/flowFile';
import { formatRelative } from '../lib/format';
import { whenIdle } from '../lib/idle';
import { writableTeams } from '../lib/permissions';
import { canEdit, useCurrentTeam, useSessionStore } from '../stores/sessionStore';
import { toast } from '../stores/toastStore';
import { editorPage } from './lazyPages';

type Pending =
  | { kind: 'create' }
  | { kind: 'rename'; flow: FlowSummary }
  | { kind: 'move-copy'; flow: FlowSummary }
  | null;

export function FlowsPage() {
  const teamId = useSessionStore((s) => s.teamId);
  const sessionStatus = useSessionStore((s) => s.status);
  const team = useCurrentTeam();
  const { data: flows, error, loading, reload } = useFlows(teamId);
  const [pending, setPending] = useState<Pending>(null);
  const removal = useConfirmedRemoval<FlowSummary>({
    remove: (flow) => deleteFlow(flow.id),
    nameOf: (flow) => flow.name,
    onRemoved: () => reload(),
    keepOpenOnFailure: true,
  });
  const fileRef = useRef<HTMLInputElement>(null);
  const navigate = useNavigate();
  const editable = canEdit(team);
  // Copying out needs only reading here, and writing in some other team.
  const me = useSessionStore((s) => s.me);
  const mayCopyOut = writableTeams(me, teamId).length > 0;

  // Most visits here end in the editor: have its code in by then.
  useEffect(() => whenIdle(() => void editorPage.preload().catch(() => undefined)), []);

  const create = async (name: string) => {
    try {
      const flow = await createFlow({ team: teamId ?? undefined, name, description: '', graph: { nodes: [], edges: [] } });
      setPending(null);
      navigate(`/flows/${flow.id}`);
    } catch (err) {
      toast.error(`Not created: ${describeError(err)}`);
    }
  };

  const rename = async (flow: FlowSummary, name: string) => {
    try {
      await patchFlow(flow.id, { name });
      setPending(null);
      reload();
    } catch (err) {
      toast.error(`Not renamed: ${describeError(err)}`);
    }
  };

  const duplicate = async (summary: FlowSummary) => {
    try {
      const flow = await getFlow(summary.id);
      const copy = await createFlow({
        team: flow.team,
        name: `${flow.name} (copy)`,
        description: flow.description,
        graph: flow.graph,
      });
      toast.success(`Duplicated as “${copy.name}”.`);
      reload();
    } catch (err) {
      toast.error(`Not duplicated: ${describeError(err)}`);
    }
  };

  const exportFlow = async (summary: FlowSummary) => {
    try {
      const flow = await getFlow(summary.id);
      downloadJson(flowFileName(flow.name), toFlowFile(flow));
    } catch (err) {
      toast.error(`Not exported: ${describeError(err)}`);
    }
  };

  const importFile = async (e: ChangeEvent<HTMLInputElement>) => {
    const file = e.target.files?.[0];
    e.target.value = '';
    if (!file) return;
    try {
      const parsed = parseFlowFile(await file.text(), file.name.replace(/\.json$/i, ''));
      const flow = await createFlow({ team: teamId ?? undefined, ...parsed });
      toast.success(`Imported “${flow.name}”.`);
      reload();
    } catch (err) {
      toast.error(`Not imported: ${describeError(err)}`);
    }
  };

  return (
    <div className="page" data-testid="flows-page">
      <header className="page__header">
        <div>
          <h1>Flows</h1>
          {team && <p className="muted">{team.personal ? 'Your personal team' : `Team ${team.name}`} · you are {team.role}</p>}
        </div>
        {editable && (
          <div className="hstack gap">
            <input ref={fileRef} type="file" accept="application/json,.json" hidden onChange={importFile} data-testid="import-input" />
            <button type="button" className="button" onClick={() => fileRef.current?.click()} data-testid="import-button">
              Import…
            </button>
            <button type="button" className="button button--primary" onClick={() => setPending({ kind: 'create' })} data-testid="new-flow-button">
              New flow
            </button>
          </div>
        )}
      </header>

      {sessionStatus === 'ready' && teamId === null && <p className="muted">You are not in any team yet.</p>}
      <ResourceTable
        items={flows}
        loading={loading}
        error={error}
        noun="flows"
        empty={
          <div className="empty">
            <p>No flows in this team yet.</p>
            {editable && (
              <button type="button" className="button button--primary" onClick={() => setPending({ kind: 'create' })}>
                Create the first one
              </button>
            )}
          </div>
        }
        testId="flows-table"
        columns={[
          {
            header: 'Name',
            cell: (f) => (
              <>
                <Link to={`/flows/${f.id}`} className="table__main" data-testid="flow-link">
                  {f.name}
                </Link>
                {f.description && <div className="muted small">{f.description}</div>}
              </>
            ),
          },
          { header: 'Nodes', className: 'num', cell: (f) => f.node_count ?? '' },
          {
            header: 'Updated',
            cellClassName: 'muted small',
            cell: (f) => (
              <>
                {formatRelative(f.updated_at)}
                {f.updated_by ? ` · ${f.updated_by}` : ''}
              </>
            ),
          },
        ]}
        rowKey={(f) => f.id}
        rowProps={(f) => ({ 'data-testid': 'flow-row', 'data-flow-id': f.id })}
        actions={(f) => (
          <>
            {editable && (
              <button type="button" className="button button--small" onClick={() => setPending({ kind: 'rename', flow: f })} data-testid="rename-flow">
                Rename
              </button>
            )}
            {editable && (
              <button type="button" className="button button--small" onClick={() => duplicate(f)} data-testid="duplicate-flow">
                Duplicate
              </button>
            )}
            {mayCopyOut && (
              <button
                type="button"
                className="button button--small"
                onClick={() => setPending({ kind: 'move-copy', flow: f })}
                data-testid="move-copy-flow"
                title={editable ? 'Copy or move to another team' : 'Copy to another team'}
              >
                {editable ? 'Copy / move…' : 'Copy to…'}
              </button>
            )}
            <button type="button" className="button button--small" onClick={() => exportFlow(f)} data-testid="export-flow">
              Export
            </button>
            {editable && (
              <button type="button" className="button button--small button--ghost-danger" onClick={() => removal.ask(f)} data-testid="delete-flow">
                Delete
              </button>
            )}
          </>
        )}
        removal={removal}
        confirm={{
          title: 'Delete this flow?',
          body: (flow) => <p>“{flow.name}” and its drawing will be deleted. This cannot be undone.</p>,
        }}
      />

      {pending?.kind === 'create' && (
        <PromptDialog title="New flow" label="Name" confirmLabel="Create" onSubmit={create} onCancel={() => setPending(null)} />
      )}
      {pending?.kind === 'rename' && (
        <PromptDialog
          title="Rename flow"
          label="Name"
          initial={pending.flow.name}
          confirmLabel="Rename"
          onSubmit={(name) => rename(pending.flow, name)}
          onCancel={() => setPending(null)}
        />
      )}
      {pending?.kind === 'move-copy' && (
        <MoveCopyFlowDialog flow={pending.flow} onDone={reload} onClose={() => setPending(null)} />
      )}
    </div>
  );
}
