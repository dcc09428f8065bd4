// /api/credentials/: a team's model provider credentials (names and which fields are set, never values).
import { request } from './client';
import type { Credential, CredentialPatch, NewCredential } from './types';
import { useRequest } from './useRequest';

const one = (id: number) => `/api/credentials/${id}/`;

/** GET /api/credentials/?team=<id> — names and which fields are set, never values. */
export function listCredentials(teamId: number, signal?: AbortSignal): Promise<Credential[]> {
  return request<Credential[]>('GET', `/api/credentials/?team=${encodeURIComponent(teamId)}`, undefined, { signal });
}

export function useCredentials(teamId: number | null) {
  return useRequest(teamId === null ? null : `credentials:${teamId}`, (signal) => listCredentials(teamId as number, signal));
}

/** POST /api/credentials/ (owners). */
export function createCredential(body: NewCredential): Promise<Credential> {
  return request<Credential>('POST', '/api/credentials/', body);
}

/** PATCH /api/credentials/<id>/ (owners). */
export function patchCredential(id: number, patch: CredentialPatch): Promise<Credential> {
  return request<Credential>('PATCH', one(id), patch);
}

/** DELETE /api/credentials/<id>/ (owners). */
export async function deleteCredential(id: number): Promise<void> {
  await request<unknown>('DELETE', one(id));
}
