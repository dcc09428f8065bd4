import { formatTime } from '../../lib/format';
import { Dialog } from '../ui/Dialog';

export interface Conflict {
  revision: number;
  updatedBy: string | null;
  updatedAt: string | null;
}

interface ConflictDialogProps {
  conflict: Conflict;
  busy: boolean;
  onReload: () => void;
  onOverwrite: () => void;
  onCancel: () => void;
}

/** A save answered 409: someone saved in between. Never overwrite without asking. */
export function ConflictDialog({ conflict, busy, onReload, onOverwrite, onCancel }: ConflictDialogProps) {
  return (
    <Dialog title="Someone else saved this flow" onClose={onCancel} testId="conflict-dialog">
      <p data-testid="conflict-message">
        <strong>{conflict.updatedBy ?? 'Someone'}</strong> saved this flow
        {conflict.updatedAt ? ` at ${formatTime(conflict.updatedAt)}` : ''} (revision {conflict.revision}), after you
        opened it. Your changes are not saved.
      </p>
      <ul className="choices">
        <li>
          <strong>Reload</strong> shows their version and discards your changes.
        </li>
        <li>
          <strong>Overwrite</strong> saves your version over theirs.
        </li>
      </ul>
      <div className="dialog__actions">
        <button type="button" className="button" onClick={onCancel} disabled={busy}>
          Keep editing
        </button>
        <button type="button" className="button" onClick={onReload} disabled={busy} data-testid="conflict-reload">
          Reload (discard mine)
        </button>
        <button type="button" className="button button--danger" onClick={onOverwrite} disabled={busy} data-testid="conflict-overwrite">
          Overwrite theirs
        </button>
      </div>
    </Dialog>
  );
}
