import { Link } from 'react-router';
import type { ChildRun } from '../../api/types';
import { formatDuration } from '../../lib/format';
import { describeChildKey } from '../../lib/runDetails';
import { StatusBadge } from '../ui/StatusIcon';
import './ChildRunsList.css';

interface ChildRunsListProps {
  children: readonly ChildRun[];
  /** The type of the node that started each, by node id (to name map items). */
  typeOf?: (nodeId: string) => string | undefined;
  /** Show which node started each (the run-wide list). */
  showNode?: boolean;
  limit?: number;
}

/** Runs started by nodes of this run (sub-flows, map items, agent tools), each a link to its own page. */
export function ChildRunsList({ children, typeOf, showNode, limit = 200 }: ChildRunsListProps) {
  const shown = children.slice(0, limit);
  return (
    <>
      <ul className="child-runs" data-testid="child-runs">
        {shown.map((c) => {
          const key = describeChildKey(c, typeOf?.(c.parent_node_id));
          return (
            <li key={c.id} data-testid="child-run" data-child-id={c.id} data-status={c.status}>
              <StatusBadge status={c.status} />
              <Link to={`/runs/${c.id}`} data-testid="child-run-link">
                {showNode ? c.parent_node_id : 'run'} {key ? `· ${key}` : ''} <code className="small">{c.id.slice(0, 8)}</code>
              </Link>
              {c.duration_ms !== null && <span className="muted small">{formatDuration(c.duration_ms)}</span>}
              {c.error?.message && (
                <span className="error-text small" title={c.error.message}>
                  {c.error.message.slice(0, 60)}
                </span>
              )}
            </li>
          );
        })}
      </ul>
      {children.length > shown.length && <p className="muted small">…and {children.length - shown.length} more.</p>}
    </>
  );
}
