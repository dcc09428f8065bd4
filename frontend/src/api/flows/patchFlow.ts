import { request } from '../client';
import type { Flow } from '../types';

/** PATCH /api/flows/<id>/ — name and description changes (no graph, so no revision). */
export function patchFlow(id: number, patch: { name?: string; description?: string }): Promise<Flow> {
  return request<Flow>('PATCH', `/api/flows/${id}/`, patch);
}
