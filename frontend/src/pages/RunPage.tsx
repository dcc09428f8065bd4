import { ReactFlowProvider } from '@xyflow/react';
import { useEffect, useState } from 'react';
import { Link, useParams } from 'react-router';
import { ApiError, describeError } from '../api/client';
import { earlyKeys, takeEarly } from '../api/early';
import { cancelRun } from '../api/runs/cancelRun';
import { getRun } from '../api/runs/getRun';
import type { Run } from '../api/types';
import { FlowCanvas } from '../components/canvas/FlowCanvas';
import { NodeRunInspector } from '../components/run/NodeRunInspector';
import { RunStatusChip } from '../components/run/RunStatusChip';
import { JsonTree } from '../components/ui/JsonTree';
import { useRunConnection } from '../hooks/useRunConnection';
import { formatTime } from '../lib/format';
import { catalogSettled, useCatalogStore } from '../stores/catalogStore';
import { selectSingleSelectedNodeId, useGraphStore } from '../stores/graphStore';
import { isTerminal, useRunStore } from '../stores/runStore';
import { toast } from '../stores/toastStore';

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
  const run = useRunStore((s) => s.run);
  const catalogStatus = useCatalogStore((s) => s.status);
  const selectedNodeId = useGraphStore(selectSingleSelectedNodeId);
  const selectedType = useGraphStore((s) => (selectedNodeId ? s.nodes.find((n) => n.id === selectedNodeId)?.type : undefined));

  useRunConnection(follow);

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
        </div>
      </div>
      <div className="editor__body">
        <div className="editor__canvas">
          {loaded && catalogSettled(catalogStatus) ? <FlowCanvas readOnly /> : <p className="muted pad">Loading the run…</p>}
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
                <p className="muted small">Click a node to see its output.</p>
              </div>
            </div>
          )}
        </aside>
      </div>
    </div>
  );
}
