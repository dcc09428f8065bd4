// /api/flows/: a team's flows, one flow's draft, validation, moving and copying.
import { request, requestAll } from './client';
import type { Flow, FlowSummary, Graph, NewFlow, ValidationResult } from './types';
import { useRequest } from './useRequest';

const one = (id: number | string) => `/api/flows/${id}/`;

/** GET /api/flows/?team=<id> — the team's flows, without graphs. */
export async function listFlows(teamId: number, signal?: AbortSignal): Promise<FlowSummary[]> {
  return requestAll<FlowSummary>(`/api/flows/?team=${encodeURIComponent(teamId)}&page_size=200`, { signal });
}

export function useFlows(teamId: number | null) {
  return useRequest(teamId === null ? null : `flows:${teamId}`, (signal) => listFlows(teamId as number, signal));
}

/** GET /api/flows/<id>/ */
export function getFlow(id: number | string, signal?: AbortSignal): Promise<Flow> {
  return request<Flow>('GET', one(id), undefined, { signal });
}

/** POST /api/flows/ */
export function createFlow(flow: NewFlow): Promise<Flow> {
  return request<Flow>('POST', '/api/flows/', flow);
}

export interface FlowSave {
  name: string;
  description: string;
  graph: Graph;
  /** The revision this save is based on; an older one answers 409. */
  revision: number;
}

/** PUT /api/flows/<id>/ */
export function saveFlow(id: number, flow: FlowSave): Promise<Flow> {
  return request<Flow>('PUT', one(id), flow);
}

/** PATCH /api/flows/<id>/ — name and description changes (no graph, so no revision). */
export function patchFlow(id: number, patch: { name?: string; description?: string }): Promise<Flow> {
  return request<Flow>('PATCH', one(id), patch);
}

/** DELETE /api/flows/<id>/ */
export async function deleteFlow(id: number): Promise<void> {
  await request<unknown>('DELETE', one(id));
}

/** POST /api/flows/<id>/validate/ — of the draft when `graph` is given, else of the saved graph. */
export function validateFlow(id: number, graph?: Graph): Promise<ValidationResult> {
  return request<ValidationResult>('POST', `${one(id)}validate/`, graph ? { graph } : {});
}

/** PATCH /api/flows/<id>/ {team} — moves the flow (needs write in both teams). */
export function moveFlow(id: number, team: number): Promise<Flow> {
  return request<Flow>('PATCH', one(id), { team });
}

/** POST /api/flows/<id>/copy/ {team?, name?} — a new flow from the source's draft. */
export function copyFlow(id: number, options: { team?: number; name?: string } = {}): Promise<Flow> {
  return request<Flow>('POST', `${one(id)}copy/`, options);
}
