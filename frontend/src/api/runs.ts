// /api/runs/ and starting a run (/api/flows/<id>/runs/): the runs of a flow, one run, cancel, resume.
import { request } from './client';
import type { Graph, Page, Run, RunSummary } from './types';
import { useRequest } from './useRequest';

const one = (id: string) => `/api/runs/${encodeURIComponent(id)}/`;

/** GET /api/runs/<id>/ — the run with its graph and every node's state. */
export function getRun(id: string, signal?: AbortSignal): Promise<Run> {
  return request<Run>('GET', one(id), undefined, { signal });
}

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

/**
 * POST /api/flows/<id>/runs/ — `graph` is the editor's unsaved draft; without it
 * the saved graph runs.
 */
export function startRun(flowId: number, inputs: Record<string, unknown>, graph?: Graph): Promise<Run> {
  const body: { inputs: Record<string, unknown>; graph?: Graph } = { inputs };
  if (graph) body.graph = graph;
  return request<Run>('POST', `/api/flows/${flowId}/runs/`, body);
}

/** POST /api/runs/<id>/cancel/ */
export async function cancelRun(id: string): Promise<void> {
  await request<unknown>('POST', `${one(id)}cancel/`, {});
}

/** POST /api/runs/<id>/nodes/<node_id>/resume/ — answers an approval node. */
export async function resumeNode(runId: string, nodeId: string, approved: boolean, comment: string): Promise<void> {
  await request<unknown>('POST', `${one(runId)}nodes/${encodeURIComponent(nodeId)}/resume/`, { approved, comment });
}
