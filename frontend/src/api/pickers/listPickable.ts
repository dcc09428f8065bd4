import { itemsOf, request, requestAll } from '../client';
import type { Page } from '../types';
import type { PickableItem, PickerKind } from './types';

const PATHS: Record<PickerKind, string> = {
  credential: '/api/credentials/',
  knowledge_base: '/api/knowledge-bases/',
  flow: '/api/flows/',
};

/**
 * GET /api/credentials/?team=, /api/knowledge-bases/?team= or /api/flows/?team=:
 * what a picker of this kind offers in the team.
 */
export async function listPickable(kind: PickerKind, teamId: number, signal?: AbortSignal): Promise<PickableItem[]> {
  const path = `${PATHS[kind]}?team=${encodeURIComponent(teamId)}`;
  if (kind === 'flow') return requestAll<PickableItem>(`${path}&page_size=200`, { signal });
  return itemsOf(await request<PickableItem[] | Page<PickableItem>>('GET', path, undefined, { signal }));
}
