import { request } from '../client';
import type { Flow } from '../types';

/** PATCH /api/flows/<id>/ {team} — moves the flow (needs write in both teams). */
export function moveFlow(id: number, team: number): Promise<Flow> {
  return request<Flow>('PATCH', `/api/flows/${id}/`, { team });
}

/** POST /api/flows/<id>/copy/ {team?, name?} — a new flow from the source's draft. */
export function copyFlow(id: number, options: { team?: number; name?: string } = {}): Promise<Flow> {
  return request<Flow>('POST', `/api/flows/${id}/copy/`, options);
}
