import { useEffect, useState } from 'react';
import { Link } from 'react-router';
import { describeError } from '../../api/client';
import { getRun, resumeNode } from '../../api/runs';
import { formatDuration, formatTime, valueAsText } from '../../lib/format';
import { upstreamOf } from '../../lib/graph';
import { childrenOf, formatUsage, PARENT_TYPES } from '../../lib/runDetails';
import { ChildRunsList } from './ChildRunsList';
import { useGraphStore } from '../../stores/graphStore';
import { describeWaitKey, useNodeRun, useRunStore, waitKey } from '../../stores/runStore';
import './NodeRunInspector.css';

const NO_UPSTREAM: string[] = [];
import { toast } from '../../stores/toastStore';
import { JsonTree } from '../ui/JsonTree';
import { StatusBadge } from '../ui/StatusIcon';

/** A node's state in the run on screen: status, timing, error, streamed text and output. */
export function NodeRunInspector({ nodeId, nodeType }: { nodeId: string; nodeType?: string }) {
  const run = useNodeRun(nodeId);
  const runId = useRunStore((s) => s.runId);
  const upstream = useGraphStore((s) => upstreamOf(s.edges).get(nodeId) ?? NO_UPSTREAM);
  const wait = useRunStore((s) => waitKey(s.nodes[nodeId], upstream, s.nodes));
  const waitText = describeWaitKey(wait, (id) => useGraphStore.getState().nodes.find((n) => n.id === id)?.data.label ?? '');
  const [full, setFull] = useState<{ key: string; value: unknown } | null>(null);
  const [comment, setComment] = useState('');
  const [busy, setBusy] = useState(false);
  const allChildren = useRunStore((s) => s.run?.children);

  // A truncated output is a preview: fetch the whole value once.
  const needFull = Boolean(run?.truncated && runId);
  const fullKey = `${runId}:${nodeId}`;
  useEffect(() => {
    if (!needFull || !runId || full?.key === fullKey) return;
    const controller = new AbortController();
    getRun(runId, controller.signal).then(
      (r) => setFull({ key: fullKey, value: r.nodes.find((n) => n.node_id === nodeId)?.output }),
      () => undefined,
    );
    return () => controller.abort();
  }, [needFull, runId, nodeId, fullKey, full?.key]);

  if (!run) return <p className="muted">This node has not run in the run on screen.</p>;
  const output = run.truncated && full?.key === fullKey ? full.value : run.output;
  const children = nodeType && PARENT_TYPES.has(nodeType) ? childrenOf(allChildren, nodeId) : [];
  const usage = formatUsage(run.usage);

  const answer = async (approved: boolean) => {
    if (!runId) return;
    setBusy(true);
    try {
      await resumeNode(runId, nodeId, approved, comment);
      toast.success(approved ? 'Approved.' : 'Rejected.');
    } catch (err) {
      toast.error(describeError(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <div className="inspector" data-testid="node-inspector">
      <dl className="facts">
        <dt>Status</dt>
        <dd>
          <StatusBadge status={run.status} testId="inspector-status" />
        </dd>
        {run.attempts > 0 && (
          <>
            <dt>Attempts</dt>
            <dd>{run.attempts}</dd>
          </>
        )}
        {run.duration_ms !== null && (
          <>
            <dt>Duration</dt>
            <dd>{formatDuration(run.duration_ms)}</dd>
          </>
        )}
        {run.started_at && (
          <>
            <dt>Started</dt>
            <dd>{formatTime(run.started_at)}</dd>
          </>
        )}
        {usage && (
          <>
            <dt>Usage</dt>
            <dd data-testid="node-usage">{usage}</dd>
          </>
        )}
      </dl>
      {run.source === 'pinned' && (
        <p className="reason" data-testid="node-source" data-source="pinned">
          📌 Pinned output: the node was not executed.
        </p>
      )}
      {run.source === 'reused' && (
        <p className="reason" data-testid="node-source" data-source="reused">
          ↺ Reused from{' '}
          {run.source_run ? <Link to={`/runs/${run.source_run}`} data-testid="source-run-link">run {run.source_run.slice(0, 8)}</Link> : 'an earlier run'}
          : the node was not executed.
        </p>
      )}
      {run.source === 'cached' && (
        <p className="reason" data-testid="node-source" data-source="cached">
          ⚡ Cached output, first computed in{' '}
          {run.source_run ? <Link to={`/runs/${run.source_run}`} data-testid="source-run-link">run {run.source_run.slice(0, 8)}</Link> : 'an earlier run'}
          : the node was not executed and cost nothing.
        </p>
      )}
      {run.source === 'replayed' && (
        <p className="reason" data-testid="node-source" data-source="replayed">
          ⏵ Replayed: its requests were answered from the recording of{' '}
          {run.source_run ? <Link to={`/runs/${run.source_run}`} data-testid="source-run-link">run {run.source_run.slice(0, 8)}</Link> : 'an earlier run'}
          , with no network and no cost.
        </p>
      )}
      {waitText && <p className="reason">{waitText}</p>}
      {run.status === 'waiting' && nodeType === 'approval' && (
        <div className="approval">
          <textarea
            className="input"
            rows={2}
            placeholder="Comment (optional)"
            value={comment}
            onChange={(e) => setComment(e.target.value)}
          />
          <div className="hstack gap">
            <button type="button" className="button button--primary" disabled={busy} onClick={() => answer(true)} data-testid="approve-button">
              Approve
            </button>
            <button type="button" className="button button--danger" disabled={busy} onClick={() => answer(false)} data-testid="reject-button">
              Reject
            </button>
          </div>
        </div>
      )}
      {nodeType === 'approval' && typeof run.details?.approved === 'boolean' && (
        <p className={`reason approval-decision`} data-testid="approval-decision">
          {run.details.approved ? 'Approved' : 'Rejected'}
          {typeof run.details.by === 'string' && run.details.by ? ` by ${run.details.by}` : ''}
          {typeof run.details.comment === 'string' && run.details.comment ? `: “${run.details.comment}”` : '.'}
        </p>
      )}
      {children.length > 0 && (
        <section data-testid="node-child-runs">
          <h4>
            Child runs <span className="muted small">({children.length})</span>
          </h4>
          <ChildRunsList children={children} typeOf={() => nodeType} />
        </section>
      )}
      {run.error && (
        <section>
          <h4>Error</h4>
          <pre className="error-block" data-testid="inspector-error">
            {run.error.message || valueAsText(run.error)}
            {run.error.type ? `\n(${run.error.type})` : ''}
          </pre>
        </section>
      )}
      {run.stream ? (
        <section>
          <h4>Streamed text</h4>
          <pre className="stream-block">{run.stream}</pre>
        </section>
      ) : null}
      <section>
        <h4>
          Output {run.truncated && full?.key !== fullKey && <span className="muted small">(preview; loading the rest…)</span>}
        </h4>
        {output === null || output === undefined ? (
          <p className="muted">No output yet.</p>
        ) : (
          <JsonTree value={output} testId="output-tree" />
        )}
      </section>
    </div>
  );
}
