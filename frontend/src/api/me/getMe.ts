import { request } from '../client';
import type { Me } from '../types';

/** GET /api/me/ — who is signed in and their teams. */
export function getMe(signal?: AbortSignal): Promise<Me> {
  return request<Me>('GET', '/api/me/', undefined, { signal });
}
