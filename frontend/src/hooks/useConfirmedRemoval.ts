import { useState } from 'react';
import { describeError } from '../api/client';
import { toast } from '../stores/toastStore';

interface RemovalOptions<T> {
  /** The remove call itself (a DELETE). */
  remove: (item: T) => Promise<unknown>;
  /** What the toasts call the item, e.g. its name. */
  nameOf: (item: T) => string;
  /** After a successful removal (reload a list, navigate away). */
  onRemoved?: (item: T) => void;
  /** The toasts' verbs: "Deleted “x”." and "Not deleted: why" unless said otherwise. */
  verbs?: { done: string; failed: string };
  /** Leave the confirmation open after a failure (to try again), instead of closing it. */
  keepOpenOnFailure?: boolean;
}

export interface ConfirmedRemoval<T> {
  /** The item whose removal waits for confirmation. */
  target: T | null;
  busy: boolean;
  ask: (item: T | null) => void;
  cancel: () => void;
  confirm: () => Promise<void>;
}

/**
 * The confirm-then-delete step of a list page: `ask(item)` opens the confirmation,
 * `confirm()` deletes, reports the outcome in a toast and closes it; a failure keeps the
 * item where it was and says why.
 */
export function useConfirmedRemoval<T>({
  remove,
  nameOf,
  onRemoved,
  verbs = { done: 'Deleted', failed: 'Not deleted' },
  keepOpenOnFailure = false,
}: RemovalOptions<T>): ConfirmedRemoval<T> {
  const [target, setTarget] = useState<T | null>(null);
  const [busy, setBusy] = useState(false);

  const confirm = async () => {
    if (target === null) return;
    const item = target;
    setBusy(true);
    try {
      await remove(item);
      setTarget(null);
      toast.success(`${verbs.done} “${nameOf(item)}”.`);
      onRemoved?.(item);
    } catch (err) {
      if (!keepOpenOnFailure) setTarget(null);
      toast.error(`${verbs.failed}: ${describeError(err)}`);
    } finally {
      setBusy(false);
    }
  };

  return { target, busy, ask: setTarget, cancel: () => setTarget(null), confirm };
}
