import { useCallback, useState } from 'react';
import { useRequest } from '../useRequest';
import { listPickable } from './listPickable';
import type { PickableItem, PickerKind } from './types';

// Several pickers on screen (an agent's flow tools, say) share one request per
// kind and team; an answer is reused for a little while, and "reload" asks again.
const FRESH_MS = 30_000;
const cache = new Map<string, { at: number; promise: Promise<PickableItem[]> }>();

function cachedList(kind: PickerKind, teamId: number): Promise<PickableItem[]> {
  const key = `${kind}:${teamId}`;
  const hit = cache.get(key);
  if (hit && Date.now() - hit.at < FRESH_MS) return hit.promise;
  // Not tied to one picker's signal: another picker may be waiting on the same answer.
  const promise = listPickable(kind, teamId);
  cache.set(key, { at: Date.now(), promise });
  promise.catch(() => cache.delete(key));
  return promise;
}

export function forgetPickable(): void {
  cache.clear();
}

export function usePickable(kind: PickerKind, teamId: number | null) {
  const [tick, setTick] = useState(0);
  const state = useRequest(teamId === null ? null : `pick:${kind}:${teamId}:${tick}`, () =>
    cachedList(kind, teamId as number),
  );
  const reload = useCallback(() => {
    if (teamId !== null) cache.delete(`${kind}:${teamId}`);
    setTick((t) => t + 1);
  }, [kind, teamId]);
  return { ...state, reload };
}
