// /api/teams/: the teams you are in, one team's settings, its webhook secret, its node output cache.
import { request } from './client';
import type { TeamDetail, TeamSummary } from './types';
import { useRequest } from './useRequest';

const one = (teamId: number) => `/api/teams/${teamId}/`;

/** GET /api/teams/ — the teams you are in, with your role. */
export function listTeams(signal?: AbortSignal): Promise<TeamSummary[]> {
  return request<TeamSummary[]>('GET', '/api/teams/', undefined, { signal });
}

/** `version` changes when the session's teams change, to read the list again. */
export function useTeams(version = '') {
  return useRequest(`teams:${version}`, (signal) => listTeams(signal));
}

/** POST /api/teams/ {name} — you become its owner. */
export function createTeam(name: string): Promise<TeamSummary> {
  return request<TeamSummary>('POST', '/api/teams/', { name });
}

/** GET /api/teams/<id>/ — adds max_active_runs and member_count. */
export function getTeam(teamId: number, signal?: AbortSignal): Promise<TeamDetail> {
  return request<TeamDetail>('GET', one(teamId), undefined, { signal });
}

export function useTeam(teamId: number | null) {
  return useRequest(teamId === null ? null : `team:${teamId}`, (signal) => getTeam(teamId as number, signal));
}

/** PATCH /api/teams/<id>/ {name?, max_active_runs?} (owners). */
export function patchTeam(teamId: number, patch: { name?: string; max_active_runs?: number }): Promise<TeamDetail> {
  return request<TeamDetail>('PATCH', one(teamId), patch);
}

/** DELETE /api/teams/<id>/ (owners; 409 while it has flows, or for a personal team). */
export async function deleteTeam(teamId: number): Promise<void> {
  await request<unknown>('DELETE', one(teamId));
}

/** GET /api/teams/<id>/webhook-secret/ (owners). */
export async function getWebhookSecret(teamId: number, signal?: AbortSignal): Promise<string> {
  const body = await request<{ webhook_secret: string }>('GET', `${one(teamId)}webhook-secret/`, undefined, { signal });
  return body.webhook_secret;
}

/** POST /api/teams/<id>/webhook-secret/ — a new secret; callbacks are signed with it at once. */
export async function rotateWebhookSecret(teamId: number): Promise<string> {
  const body = await request<{ webhook_secret: string }>('POST', `${one(teamId)}webhook-secret/`);
  return body.webhook_secret;
}

/** DELETE /api/teams/<id>/cache/[?flow=<id>] (owners, signed in) — the outputs kept by
 * nodes with settings.cache are thrown away; their next runs execute them again. */
export async function clearTeamCache(teamId: number, flowId?: number): Promise<void> {
  const query = flowId === undefined ? '' : `?flow=${flowId}`;
  await request<unknown>('DELETE', `${one(teamId)}cache/${query}`);
}
