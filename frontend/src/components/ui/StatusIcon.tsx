import type { NodeStatus, RunStatus } from '../../api/types';
import './StatusIcon.css';

const ICONS: Record<string, string> = {
  idle: '',
  pending: '○',
  queued: '◔',
  running: '◌',
  waiting: '⏸',
  succeeded: '✓',
  failed: '✕',
  skipped: '↷',
  cancelled: '⊘',
};

export function StatusIcon({ status }: { status: NodeStatus | RunStatus | 'idle' }) {
  if (status === 'idle') return null;
  return (
    <span className={`status-icon status-icon--${status}`} aria-hidden="true">
      {ICONS[status] ?? '•'}
    </span>
  );
}

export function StatusBadge({ status, testId }: { status: NodeStatus | RunStatus; testId?: string }) {
  return (
    <span className={`badge badge--${status}`} data-testid={testId} data-status={status}>
      <StatusIcon status={status} />
      {status}
    </span>
  );
}
