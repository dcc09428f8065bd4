import { ReactFlowProvider } from '@xyflow/react';
import { useEffect, useState } from 'react';
import { Link, useNavigate, useParams } from 'react-router';
import { ApiError, describeError } from '../api/client';
import { earlyKeys, takeEarly } from '../api/early';
import { cancelRun, getRun, resumeRun } from '../api/runs';
import type { Run } from '../api/types';
import { FlowCanvas } from '../components/canvas/FlowCanvas';
import { NodeRunInspector } from '../components/run/NodeRunInspector';
import { RunStatusChip } from '../components/run/RunStatusChip';
import { JsonTree } from '../components/ui/JsonTree';
import { useRunConnection } from '../hooks/useRunConnection';
import { useRunRefresh } from '../hooks/useRunRefresh';
import { formatTime } from '../lib/format';
import { formatUsage } from '../lib/runDetails';
import { ChildRunsList } from '../components/run/ChildRunsList';
import { catalogSettled, useCatalogStore } from '../stores/catalogStore';
import { selectSingleSelectedNodeId, useGraphStore } from '../stores/graphStore';
import { isTerminal, useRunStore } from '../stores/runStore';
import { toast } from '../stores/toastStore';
import './canvasPage.css';
import '../components/editor/panel.css';
import '../components/run/NodeRunInspector.css';
import './RunPage.css';

export function RunPage() {
  const { id } = useParams();
  return (
    <ReactFlowProvider key={id}>
      <RunView runId={id ?? ''} />
    </ReactFlowProvider>
  );
}

/** A run drawn on the graph as it was run, read-only, live while it goes on. */
function RunView({ runId }: { runId: string }) {
  const [error, setError] = useState<string | null>(null);
  const [loaded, setLoaded] = useState(false);
  const [follow, setFollow] = useState<string | null>(null);
  const navigate = useNavigate();
  const run = useRunStore((s) => s.run);
  const catalogStatus = useCatalogStore((s) => s.status);
  const selectedNodeId = useGraphStore(selectSingleSelectedNodeId);
  const selectedType = useGraphStore((s) => (selectedNodeId ? s.nodes.find((n) => n.id === selectedNodeId)?.type : undefined));

  useRunConnection(follow);
  useRunRefresh(loaded ? runId : null);
  // Which nodes wait, and for what, as one string: stays equal (no re-render) while events stream in.
  const waitingKey = useRunStore((s) =>
    Object.values(s.nodes)
      .filter((n) => n.status === 'waiting')
      .map((n) => `${n.node_id}\u0001${n.message || n.reason || ''}`)
      .join('\u0000'),
  );

  useEffect(() => {
    const controller = new AbortController();
    void useCatalogStore.getState().ensureLoaded();
    useRunStore.getState().clear();
    (takeEarly<Run>(earlyKeys.run(runId)) ?? getRun(runId, controller.signal)).then(
      (r) => {
        if (controller.signal.aborted) return;
        useGraphStore.getState().load(r.graph, { readOnly: true });
        const store = useRunStore.getState();
        store.begin(r.id);
        store.loadRun(r);
        setLoaded(true);
        if (!isTerminal(r.status)) setFollow(r.id);
      },
      (err) => {
        if (controller.signal.aborted) return;
        setError(err instanceof ApiError && err.status === 404 ? 'This run does not exist, or is not yours.' : describeError(err));
      },
    );
    return () => {
      controller.abort();
      useRunStore.getState().clear();
      useGraphStore.getState().load(null);
    };
  }, [runId]);

  if (error) {
    return (
      <div className="page page--narrow">
        <p className="error-text" data-testid="load-error">
          {error}
        </p>
        <Link to="/">Back to the flows</Link>
      </div>
    );
  }

  const live = !!run && !isTerminal(run.status);
  const usage = formatUsage(run?.usage);
  const typeOf = (nodeId: string) => useGraphStore.getState().nodes.find((n) => n.id === nodeId)?.type;
  const labelOf = (nodeId: string) => useGraphStore.getState().nodes.find((n) => n.id === nodeId)?.data.label || nodeId;
  // What the run waits for; approvals (someone must answer) get a banner of their own.
  const waiting = live && waitingKey
    ? waitingKey.split('\u0000').map((part) => {
        const [nodeId, text] = part.split('\u0001');
        return { nodeId, text };
      })
    : [];
  const approvals = waiting.filter((n) => typeOf(n.nodeId) === 'approval');
  const children = run?.children ?? [];
  return (
    <div className="editor run-page" data-testid="run-page" data-run-id={runId}>
      <div className="toolbar" role="toolbar" aria-label="Run">
        {run ? (
          <Link to={`/flows/${run.flow}`} className="toolbar__back">
            ‹ Flow
          </Link>
        ) : (
          <Link to="/" className="toolbar__back">
            ‹ Flows
          </Link>
        )}
        <span className="toolbar__title">
          Run <code>{runId.slice(0, 8)}</code>
        </span>
        {run && (
          <span className="muted small">
            {run.trigger}
            {run.created_by ? ` by ${run.created_by}` : ''} · {formatTime(run.created_at)}
          </span>
        )}
        {run && (
          <span
            className="badge badge--muted"
            data-testid="run-version"
            data-version={run.version ?? 'draft'}
            title={run.version ? `Ran published version ${run.version}` : 'Ran the draft (unpublished)'}
          >
            {run.version ? `version ${run.version}` : 'draft'}
          </span>
        )}
        {run?.parent_run && (
          <Link to={`/runs/${run.parent_run}`} className="small" data-testid="parent-run-link">
            ↑ parent run{run.parent_node_id ? ` (node ${run.parent_node_id}${run.parent_key ? `, ${run.parent_key}` : ''})` : ''}
          </Link>
        )}
        {run?.resumed_from && (
          <Link to={`/runs/${run.resumed_from}`} className="small" data-testid="resumed-from-link">
            resumes run {run.resumed_from.slice(0, 8)}
          </Link>
        )}
        {usage && (
          <span className="muted small run-usage" data-testid="run-usage" title="Model usage of the whole run, child runs included">
            {usage}
          </span>
        )}
        <span className="badge badge--muted">read-only</span>
        <div className="toolbar__group toolbar__group--run">
          <RunStatusChip showLink={false} />
          {live && (
            <button
              type="button"
              className="button button--danger"
              data-testid="cancel-run-button"
              onClick={() => cancelRun(runId).then(() => toast.info('Cancelling the run…'), (e) => toast.error(describeError(e)))}
            >
              ■ Cancel
            </button>
          )}
          {(run?.status === 'failed' || run?.status === 'cancelled') && !run.parent_run && (
            <button
              type="button"
              className="button"
              data-testid="resume-run-button"
              title="A new run of the same graph and inputs that reuses every node that succeeded here"
              onClick={() => resumeRun(runId).then((r) => navigate(`/runs/${r.id}`), (e) => toast.error(describeError(e)))}
            >
              ↻ Resume
            </button>
          )}
        </div>
      </div>
      <div className="editor__body">
        <div className="editor__canvas">
          {loaded && catalogSettled(catalogStatus) ? <FlowCanvas readOnly /> : <p className="muted pad">Loading the run…</p>}
          {run?.waiting_for_slot && run.status === 'pending' && (
            <div className="canvas-banner" data-testid="run-slot-banner">
              Waiting for a free slot: the team&apos;s limit of active runs is reached.
            </div>
          )}
          {approvals.length > 0 && (
            <div className="canvas-banner run-waiting" data-testid="run-waiting-banner">
              <span>
                ⏸ Waiting for approval: {labelOf(approvals[0].nodeId)}
                {approvals.length > 1 ? ` and ${approvals.length - 1} more` : ''}
              </span>
              <button
                type="button"
                className="button button--small button--primary"
                onClick={() => useGraphStore.getState().selectOnly([approvals[0].nodeId])}
                data-testid="review-approval"
              >
                Review
              </button>
            </div>
          )}
        </div>
        <aside className="side">
          {selectedNodeId ? (
            <div className="panel" data-testid="node-panel">
              <header className="panel__header">
                <div className="panel__title">{selectedNodeId}</div>
              </header>
              <div className="panel__body">
                <NodeRunInspector nodeId={selectedNodeId} nodeType={selectedType} />
              </div>
            </div>
          ) : (
            <div className="panel">
              <div className="panel__body">
                {waiting.length > 0 && (
                  <div className="run-waiting" data-testid="run-waiting">
                    {waiting.map((n) => (
                      <div key={n.nodeId}>
                        ⏸ <strong>{labelOf(n.nodeId)}</strong> waits{n.text ? `: ${n.text}` : ''}
                      </div>
                    ))}
                  </div>
                )}
                <h4>Inputs</h4>
                {run ? <JsonTree value={run.inputs ?? {}} testId="run-inputs" /> : null}
                <h4>Outputs</h4>
                {run && run.outputs && Object.keys(run.outputs).length > 0 ? (
                  <JsonTree value={run.outputs} testId="run-outputs" />
                ) : (
                  <p className="muted small">{live ? 'Not yet.' : 'None.'}</p>
                )}
                {run?.error && (
                  <>
                    <h4>Error</h4>
                    <pre className="error-block">{run.error.message}</pre>
                  </>
                )}
                {children.length > 0 && (
                  <>
                    <h4>
                      Child runs <span className="muted small">({children.length})</span>
                    </h4>
                    <ChildRunsList children={children} typeOf={typeOf} showNode />
                  </>
                )}
                <p className="muted small">Click a node to see its output.</p>
              </div>
            </div>
          )}
        </aside>
      </div>
    </div>
  );
}
