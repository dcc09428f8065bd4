// What the config-form pickers list: a team's credentials, knowledge bases and flows
// (GET /api/credentials/?team=, /api/knowledge-bases/?team=, /api/flows/?team=).
import { useCallback, useState } from 'react';
import { itemsOf, request, requestAll } from './client';
import type { Page } from './types';
import { useRequest } from './useRequest';

export type PickerKind = 'credential' | 'knowledge_base' | 'flow';

/** Only the fields a picker shows, common to the three lists (the team pages have the full shapes). */
export interface PickableItem {
  id: number;
  name: string;
  /** A credential's provider ("openai", "anthropic"). */
  provider?: string;
  /** A knowledge base's document count. */
  document_count?: number;
}

const PATHS: Record<PickerKind, string> = {
  credential: '/api/credentials/',
  knowledge_base: '/api/knowledge-bases/',
  flow: '/api/flows/',
};

/** What a picker of this kind offers in the team. */
export async function listPickable(kind: PickerKind, teamId: number, signal?: AbortSignal): Promise<PickableItem[]> {
  const path = `${PATHS[kind]}?team=${encodeURIComponent(teamId)}`;
  if (kind === 'flow') return requestAll<PickableItem>(`${path}&page_size=200`, { signal });
  return itemsOf(await request<PickableItem[] | Page<PickableItem>>('GET', path, undefined, { signal }));
}

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
