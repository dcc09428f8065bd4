import { request } from '../client';

/** DELETE /api/flows/<id>/ */
export async function deleteFlow(id: number): Promise<void> {
  await request<unknown>('DELETE', `/api/flows/${id}/`);
}
