import { Link } from 'react-router';
import { useNow } from '../../hooks/useNow';
import { formatDuration } from '../../lib/format';
import { isTerminal, useRunStore } from '../../stores/runStore';
import { StatusBadge } from '../ui/StatusIcon';
import './RunStatusChip.css';

/** The run on screen in one line: status, time, live connection, link to its page. */
export function RunStatusChip({ showLink = true }: { showLink?: boolean }) {
  const run = useRunStore((s) => s.run);
  const runId = useRunStore((s) => s.runId);
  const connection = useRunStore((s) => s.connection);
  const live = !!run && !isTerminal(run.status);
  const now = useNow(live && !!run?.started_at, 500);
  if (!runId) return null;
  const status = run?.status ?? 'pending';
  const elapsed =
    run?.duration_ms ?? (run?.started_at ? Math.max(0, (run.finished_at ? new Date(run.finished_at).getTime() : now) - new Date(run.started_at).getTime()) : null);
  return (
    <div className="run-chip" data-testid="run-status" data-run-id={runId} data-status={status}>
      <StatusBadge status={status} />
      {elapsed !== null && <span className="muted small">{formatDuration(elapsed)}</span>}
      {live && connection !== 'open' && (
        <span className="muted small" title="The live connection is down; retrying and polling.">
          {connection === 'connecting' ? 'connecting…' : 'reconnecting…'}
        </span>
      )}
      {run?.error?.message && (
        <span className="error-text small run-chip__error" title={run.error.message}>
          {run.error.message}
        </span>
      )}
      {showLink && (
        <Link to={`/runs/${runId}`} className="small" data-testid="open-run-link">
          Open run
        </Link>
      )}
    </div>
  );
}
