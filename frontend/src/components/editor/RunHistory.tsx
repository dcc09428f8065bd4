import { Link } from 'react-router';
import { useState } from 'react';
import { describeError } from '../../api/client';
import { listRunsPage, useRuns } from '../../api/runs';
import type { RunSummary } from '../../api/types';
import { formatDuration, formatRelative } from '../../lib/format';
import { useRunStore } from '../../stores/runStore';
import { StatusBadge } from '../ui/StatusIcon';
import './RunHistory.css';

/** The flow's past runs, newest first; each opens at /runs/<id>. */
export function RunHistory({ flowId, refreshKey }: { flowId: number; refreshKey: number }) {
  const { data, error, loading, reload } = useRuns(flowId, refreshKey);
  // Older pages, after the first page they were loaded behind (a new first page drops them).
  const [more, setMore] = useState<{ after: typeof data; runs: RunSummary[]; next: string | null } | null>(null);
  const [loadingMore, setLoadingMore] = useState(false);
  const older = more && more.after === data ? more : null;
  const runs = [...(data?.results ?? []), ...(older?.runs ?? [])];
  const next = older ? older.next : (data?.next ?? null);
  const loadMore = async () => {
    if (!next) return;
    setLoadingMore(true);
    try {
      const page = await listRunsPage(next);
      setMore({ after: data, runs: [...(older?.runs ?? []), ...page.results], next: page.next });
    } catch (err) {
      setMore({ after: data, runs: older?.runs ?? [], next: null });
      console.warn(describeError(err));
    } finally {
      setLoadingMore(false);
    }
  };
  // The run on screen moves on faster than this list is fetched: show its live status.
  const liveId = useRunStore((s) => s.runId);
  const liveStatus = useRunStore((s) => s.run?.status);
  return (
    <div className="run-history" data-testid="run-history">
      <div className="hstack space pad-x">
        <span className="muted small">{data ? `${data.count} run${data.count === 1 ? '' : 's'}` : ''}</span>
        <button type="button" className="button button--small" onClick={reload}>
          Refresh
        </button>
      </div>
      {loading && !data && <p className="muted small pad">Loading runs…</p>}
      {error && <p className="error-text pad">{error.message}</p>}
      {data && runs.length === 0 && <p className="muted small pad">No runs yet.</p>}
      <ul className="run-list">
        {runs.map((r) => (
          <li key={r.id}>
            <Link to={`/runs/${r.id}`} className="run-list__item" data-testid="run-history-item">
              <StatusBadge status={r.id === liveId && liveStatus ? liveStatus : r.status} />
              <span className="run-list__when">{formatRelative(r.created_at)}</span>
              <span className="muted small">
                {r.trigger}
                {r.version ? ` · v${r.version}` : ''}
                {r.created_by ? ` · ${r.created_by}` : ''}
                {r.duration_ms !== null ? ` · ${formatDuration(r.duration_ms)}` : ''}
              </span>
            </Link>
          </li>
        ))}
      </ul>
      {next && (
        <div className="pad-x">
          <button type="button" className="button button--small" onClick={loadMore} disabled={loadingMore}>
            {loadingMore ? 'Loading…' : 'Older runs'}
          </button>
        </div>
      )}
    </div>
  );
}
