// /api/api-keys/: your keys (and, in teams you manage, everyone's); creating, changing, revoking.
import { request } from './client';
import type { ApiKey, ApiKeyPatch, NewApiKey, NewApiKeyRequest } from './types';
import { useRequest } from './useRequest';

/** GET /api/api-keys/ — your keys and, in teams you own, everyone's. */
export function listApiKeys(options: { revoked?: boolean } = {}, signal?: AbortSignal): Promise<ApiKey[]> {
  const query = options.revoked ? '?revoked=true' : '';
  return request<ApiKey[]>('GET', `/api/api-keys/${query}`, undefined, { signal });
}

export function useApiKeys(revoked = false) {
  return useRequest(`api-keys:${revoked}`, (signal) => listApiKeys({ revoked }, signal));
}

/** POST /api/api-keys/ — the answer carries `key`, shown once. */
export function createApiKey(body: NewApiKeyRequest): Promise<NewApiKey> {
  return request<NewApiKey>('POST', '/api/api-keys/', body);
}

/** PATCH /api/api-keys/<id>/ */
export function patchApiKey(id: number, patch: ApiKeyPatch): Promise<ApiKey> {
  return request<ApiKey>('PATCH', `/api/api-keys/${id}/`, patch);
}

/** DELETE /api/api-keys/<id>/ — revokes the key. */
export async function revokeApiKey(id: number): Promise<void> {
  await request<unknown>('DELETE', `/api/api-keys/${id}/`);
}
