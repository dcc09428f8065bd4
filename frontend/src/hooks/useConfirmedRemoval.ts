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
}

/**
 * The confirm-then-delete step of a list page: `ask(item)` opens the confirmation,
 * `confirm()` deletes, reports the outcome in a toast and closes it; a failure keeps the
 * item where it was and says why.
 */
export function useConfirmedRemoval<T>({ remove, nameOf, onRemoved }: RemovalOptions<T>) {
  const [target, setTarget] = useState<T | null>(null);
  const [busy, setBusy] = useState(false);

  const confirm = async () => {
    if (target === null) return;
    const item = target;
    setBusy(true);
    try {
      await remove(item);
      setTarget(null);
      toast.success(`Deleted “${nameOf(item)}”.`);
      onRemoved?.(item);
    } catch (err) {
      setTarget(null);
      toast.error(`Not deleted: ${describeError(err)}`);
    } finally {
      setBusy(false);
    }
  };

  return { target, busy, ask: setTarget, cancel: () => setTarget(null), confirm };
}
