// Requests started before the page that reads them has loaded (see boot/),
// handed over once. A page asks for its data when it mounts, which is after
// its lazy chunk has been fetched and run; started at boot, the request has
// often come back by then.

const started = new Map<string, Promise<unknown>>();

/** Starts `request` under `key` unless a request under that key is already waiting. */
export function startEarly<T>(key: string, request: () => Promise<T>): Promise<T> {
  const waiting = started.get(key);
  if (waiting) return waiting as Promise<T>;
  const promise = request();
  // Nobody may ever take it (the page changed first): do not report its failure twice.
  promise.catch(() => undefined);
  started.set(key, promise);
  return promise;
}

/**
 * The request started under `key`, once: later calls get undefined and fetch
 * afresh, so an answer from boot is never reused after it may have gone stale.
 */
export function takeEarly<T>(key: string): Promise<T> | undefined {
  const promise = started.get(key);
  started.delete(key);
  return promise as Promise<T> | undefined;
}

/** Forget everything started (tests). */
export function clearEarly(): void {
  started.clear();
}

export const earlyKeys = {
  flow: (id: number | string) => `flow:${id}`,
  run: (id: string) => `run:${id}`,
};
