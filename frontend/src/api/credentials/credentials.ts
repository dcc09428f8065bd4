import { request } from '../client';
import type { Credential, CredentialField, CredentialProvider } from '../types';
import { useRequest } from '../useRequest';

const one = (id: number) => `/api/credentials/${id}/`;

/** GET /api/credentials/?team=<id> — names and which fields are set, never values. */
export function listCredentials(teamId: number, signal?: AbortSignal): Promise<Credential[]> {
  return request<Credential[]>('GET', `/api/credentials/?team=${encodeURIComponent(teamId)}`, undefined, { signal });
}

export function useCredentials(teamId: number | null) {
  return useRequest(teamId === null ? null : `credentials:${teamId}`, (signal) => listCredentials(teamId as number, signal));
}

/** Values to store; on PATCH null removes a field and a field left out stays. */
export type CredentialData = Partial<Record<CredentialField, string | null>>;

export interface NewCredential {
  team: number;
  name: string;
  provider: CredentialProvider;
  data: CredentialData;
}

/** POST /api/credentials/ (owners). */
export function createCredential(body: NewCredential): Promise<Credential> {
  return request<Credential>('POST', '/api/credentials/', body);
}

/** PATCH /api/credentials/<id>/ (owners). */
export function patchCredential(
  id: number,
  patch: { name?: string; provider?: CredentialProvider; data?: CredentialData },
): Promise<Credential> {
  return request<Credential>('PATCH', one(id), patch);
}

/** DELETE /api/credentials/<id>/ (owners). */
export async function deleteCredential(id: number): Promise<void> {
  await request<unknown>('DELETE', one(id));
}
