/**
 * Undo/redo stacks of immutable snapshots. `record` is called with the state
 * *before* an edit; edits sharing a coalescing key within `COALESCE_MS` of the
 * previous one (typing in a field) make one step.
 */
export const COALESCE_MS = 1200;
export const HISTORY_LIMIT = 200;

export interface History<T> {
  past: T[];
  future: T[];
  lastKey: string | null;
  lastAt: number;
}

export function emptyHistory<T>(): History<T> {
  return { past: [], future: [], lastKey: null, lastAt: 0 };
}

export function record<T>(history: History<T>, before: T, key: string | null, now: number): History<T> {
  if (key !== null && key === history.lastKey && now - history.lastAt < COALESCE_MS) {
    return { ...history, future: [], lastAt: now };
  }
  const past = history.past.length >= HISTORY_LIMIT ? history.past.slice(1) : history.past.slice();
  past.push(before);
  return { past, future: [], lastKey: key, lastAt: now };
}

export function undo<T>(history: History<T>, present: T): { history: History<T>; present: T } | null {
  if (history.past.length === 0) return null;
  const past = history.past.slice(0, -1);
  const previous = history.past[history.past.length - 1];
  return {
    history: { past, future: [present, ...history.future], lastKey: null, lastAt: 0 },
    present: previous,
  };
}

export function redo<T>(history: History<T>, present: T): { history: History<T>; present: T } | null {
  if (history.future.length === 0) return null;
  const [next, ...future] = history.future;
  return {
    history: { past: [...history.past, present], future, lastKey: null, lastAt: 0 },
    present: next,
  };
}
