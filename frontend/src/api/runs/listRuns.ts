import { request } from '../client';
import type { Page, RunSummary } from '../types';
import { useRequest } from '../useRequest';

/** GET /api/runs/?flow=<id> — newest first, paginated. */
export function listRuns(flowId: number, signal?: AbortSignal): Promise<Page<RunSummary>> {
  return request<Page<RunSummary>>('GET', `/api/runs/?flow=${encodeURIComponent(flowId)}`, undefined, { signal });
}

export function useRuns(flowId: number | null, refreshKey = 0) {
  return useRequest(flowId === null ? null : `runs:${flowId}:${refreshKey}`, (signal) =>
    listRuns(flowId as number, signal),
  );
}

/** The next page of a run list, by the `next` link of the previous one. */
export function listRunsPage(next: string, signal?: AbortSignal): Promise<Page<RunSummary>> {
  const url = new URL(next, window.location.origin);
  return request<Page<RunSummary>>('GET', `${url.pathname}${url.search}`, undefined, { signal });
}
