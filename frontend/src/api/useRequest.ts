import { useCallback, useEffect, useLayoutEffect, useRef, useState } from 'react';
import { ApiError } from './client';

export interface RequestState<T> {
  data: T | undefined;
  error: ApiError | Error | null;
  loading: boolean;
  /** Fetch again (after a mutation, say). */
  reload: () => void;
  /** Replace the data locally without fetching. */
  setData: (data: T | undefined) => void;
}

interface Answer<T> {
  /** The request (key and reload count) this answers; null before any. */
  to: string | null;
  data: T | undefined;
  error: ApiError | Error | null;
}

/**
 * The small shared engine of the per-endpoint hooks: calls `load` when `key`
 * changes, drops answers that arrive after a newer call, aborts on unmount.
 * `key === null` means "nothing to load yet". The data stays while a newer
 * request is on its way (a page shows "Loading…" only while it has none).
 */
export function useRequest<T>(
  key: string | null,
  load: (signal: AbortSignal) => Promise<T>,
): RequestState<T> {
  const [reloads, setReloads] = useState(0);
  const [answer, setAnswer] = useState<Answer<T>>({ to: null, data: undefined, error: null });
  // The latest `load`, for the request the key starts (callers pass a new closure each render).
  const loadRef = useRef(load);
  useLayoutEffect(() => {
    loadRef.current = load;
  });

  const request = key === null ? null : `${reloads}:${key}`;
  useEffect(() => {
    if (request === null) return;
    const controller = new AbortController();
    loadRef.current(controller.signal).then(
      (data) => {
        if (!controller.signal.aborted) setAnswer({ to: request, data, error: null });
      },
      (err: unknown) => {
        if (controller.signal.aborted) return;
        const error = err instanceof Error ? err : new Error(String(err));
        setAnswer((previous) => ({ to: request, data: previous.data, error }));
      },
    );
    return () => controller.abort();
  }, [request]);

  const loading = request !== null && answer.to !== request;
  const reload = useCallback(() => setReloads((n) => n + 1), []);
  const setData = useCallback((data: T | undefined) => setAnswer((previous) => ({ ...previous, data })), []);
  return { data: answer.data, error: loading ? null : answer.error, loading, reload, setData };
}
