// /api/runs/ and starting a run (/api/flows/<id>/runs/): the runs of a flow, one run, cancel, resume.
import { request } from './client';
import type { Graph, Page, Run, RunSummary } from './types';
import { useRequest } from './useRequest';

const one = (id: string) => `/api/runs/${encodeURIComponent(id)}/`;

/** GET /api/runs/<id>/ — the run with its graph and every node's state. */
export function getRun(id: string, signal?: AbortSignal): Promise<Run> {
  return request<Run>('GET', one(id), undefined, { signal });
}

/** GET /api/runs/?flow=<id> — newest first, paginated; `trigger` keeps runs started that way. */
export function listRuns(flowId: number, signal?: AbortSignal, trigger?: string): Promise<Page<RunSummary>> {
  const only = trigger ? `&trigger=${encodeURIComponent(trigger)}` : '';
  return request<Page<RunSummary>>('GET', `/api/runs/?flow=${encodeURIComponent(flowId)}${only}`, undefined, { signal });
}

/** The recorded runs shipped with an example flow (trigger "recording"), to replay. */
export function useRecordings(flowId: number | null) {
  return useRequest(flowId === null ? null : `recordings:${flowId}`, (signal) =>
    listRuns(flowId as number, signal, 'recording'),
  );
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
export function startRun(
  flowId: number, inputs: Record<string, unknown>, graph?: Graph, from?: RunFrom, replay?: string[],
): Promise<Run> {
  const body: StartBody = { inputs };
  if (graph) body.graph = graph;
  if (replay?.length) body.replay = replay;
  if (from) {
    body.from_node = from.nodeId;
    if (from.reuseRun) body.reuse_run = from.reuseRun;
    if (from.only) body.only_node = true;
  }
  return request<Run>('POST', `/api/flows/${flowId}/runs/`, body);
}

/** Run a node and what follows it (or only it), the other outputs reused from an earlier run. */
export interface RunFrom {
  nodeId: string;
  /** The run whose outputs are reused; the server's default is the flow's latest run. */
  reuseRun?: string | null;
  only?: boolean;
}

interface StartBody {
  inputs: Record<string, unknown>;
  graph?: Graph;
  from_node?: string;
  reuse_run?: string;
  only_node?: boolean;
  /** Replay mode: the runs whose recordings answer the model and HTTP requests. */
  replay?: string[];
}

/** POST /api/runs/<id>/resume/ — a new run reusing what succeeded in a failed or cancelled one. */
export function resumeRun(id: string): Promise<Run> {
  return request<Run>('POST', `${one(id)}resume/`, {});
}

/** POST /api/runs/<id>/cancel/ */
export async function cancelRun(id: string): Promise<void> {
  await request<unknown>('POST', `${one(id)}cancel/`, {});
}

/** POST /api/runs/<id>/nodes/<node_id>/resume/ — answers an approval node. */
export async function resumeNode(runId: string, nodeId: string, approved: boolean, comment: string): Promise<void> {
  await request<unknown>('POST', `${one(runId)}nodes/${encodeURIComponent(nodeId)}/resume/`, { approved, comment });
}
