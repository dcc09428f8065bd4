import { request } from '../client';

/** POST /api/runs/<id>/cancel/ */
export async function cancelRun(id: string): Promise<void> {
  await request<unknown>('POST', `/api/runs/${encodeURIComponent(id)}/cancel/`, {});
}
