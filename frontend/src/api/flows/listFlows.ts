import { itemsOf, request } from '../client';
import type { FlowSummary, Page } from '../types';
import { useRequest } from '../useRequest';

/** GET /api/flows/?team=<id> — the team's flows, without graphs. */
export async function listFlows(teamId: number, signal?: AbortSignal): Promise<FlowSummary[]> {
  const data = await request<FlowSummary[] | Page<FlowSummary>>(
    'GET',
    `/api/flows/?team=${encodeURIComponent(teamId)}`,
    undefined,
    { signal },
  );
  return itemsOf(data);
}

export function useFlows(teamId: number | null) {
  return useRequest(teamId === null ? null : `flows:${teamId}`, (signal) => listFlows(teamId as number, signal));
}
