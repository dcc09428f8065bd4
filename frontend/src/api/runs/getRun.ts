import { request } from '../client';
import type { Run } from '../types';

/** GET /api/runs/<id>/ — the run with its graph and every node's state. */
export function getRun(id: string, signal?: AbortSignal): Promise<Run> {
  return request<Run>('GET', `/api/runs/${encodeURIComponent(id)}/`, undefined, { signal });
}
