import { useCallback, useEffect, useRef, useState } from 'react';
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

/**
 * The small shared engine of the per-endpoint hooks: calls `load` when `key`
 * changes, drops answers that arrive after a newer call, aborts on unmount.
 * `key === null` means "nothing to load yet".
 */
export function useRequest<T>(
  key: string | null,
  load: (signal: AbortSignal) => Promise<T>,
): RequestState<T> {
  const [data, setData] = useState<T | undefined>(undefined);
  const [error, setError] = useState<ApiError | Error | null>(null);
  const [loading, setLoading] = useState(key !== null);
  const [tick, setTick] = useState(0);
  const loadRef = useRef(load);
  loadRef.current = load;

  useEffect(() => {
    if (key === null) {
      setLoading(false);
      return;
    }
    const controller = new AbortController();
    setLoading(true);
    setError(null);
    loadRef.current(controller.signal).then(
      (value) => {
        if (controller.signal.aborted) return;
        setData(value);
        setLoading(false);
      },
      (err: unknown) => {
        if (controller.signal.aborted) return;
        setError(err instanceof Error ? err : new Error(String(err)));
        setLoading(false);
      },
    );
    return () => controller.abort();
  }, [key, tick]);

  const reload = useCallback(() => setTick((t) => t + 1), []);
  return { data, error, loading, reload, setData };
}
