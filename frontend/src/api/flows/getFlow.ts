import { request } from '../client';
import type { Flow } from '../types';

/** GET /api/flows/<id>/ */
export function getFlow(id: number | string, signal?: AbortSignal): Promise<Flow> {
  return request<Flow>('GET', `/api/flows/${id}/`, undefined, { signal });
}
