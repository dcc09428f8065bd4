// /api/me/: who is signed in, their teams, and what their role lets them do in each.
import { request } from './client';
import type { Me } from './types';

/** GET /api/me/ */
export function getMe(signal?: AbortSignal): Promise<Me> {
  return request<Me>('GET', '/api/me/', undefined, { signal });
}
