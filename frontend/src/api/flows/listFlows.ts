import { requestAll } from '../client';
import type { FlowSummary } from '../types';
import { useRequest } from '../useRequest';

/** GET /api/flows/?team=<id> — the team's flows, without graphs. */
export async function listFlows(teamId: number, signal?: AbortSignal): Promise<FlowSummary[]> {
  return requestAll<FlowSummary>(`/api/flows/?team=${encodeURIComponent(teamId)}&page_size=200`, { signal });
}

export function useFlows(teamId: number | null) {
  return useRequest(teamId === null ? null : `flows:${teamId}`, (signal) => listFlows(teamId as number, signal));
}
