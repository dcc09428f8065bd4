import { itemsOf, request } from '../client';
import type { ApiKey, Page } from '../types';
import { useRequest } from '../useRequest';

/** GET /api/api-keys/ */
export async function listApiKeys(signal?: AbortSignal): Promise<ApiKey[]> {
  return itemsOf(await request<ApiKey[] | Page<ApiKey>>('GET', '/api/api-keys/', undefined, { signal }));
}

export function useApiKeys() {
  return useRequest('api-keys', (signal) => listApiKeys(signal));
}

/** POST /api/api-keys/ with {name} — the answer carries `key`, shown once. */
export function createApiKey(name: string): Promise<ApiKey> {
  return request<ApiKey>('POST', '/api/api-keys/', { name });
}

/** DELETE /api/api-keys/<id>/ — revokes the key. */
export async function revokeApiKey(id: number | string): Promise<void> {
  await request<unknown>('DELETE', `/api/api-keys/${encodeURIComponent(String(id))}/`);
}
