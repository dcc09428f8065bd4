import { request } from '../client';
import type { Graph, Run } from '../types';

/**
 * POST /api/flows/<id>/runs/ — `graph` is the editor's unsaved draft; without it
 * the saved graph runs.
 */
export function startRun(flowId: number, inputs: Record<string, unknown>, graph?: Graph): Promise<Run> {
  const body: { inputs: Record<string, unknown>; graph?: Graph } = { inputs };
  if (graph) body.graph = graph;
  return request<Run>('POST', `/api/flows/${flowId}/runs/`, body);
}
