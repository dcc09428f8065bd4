// /api/teams/<id>/members/: who is in a team, with which role; adding, changing, removing.
import { itemsOf, request } from './client';
import type { Member, Page, Role } from './types';
import { useRequest } from './useRequest';

const base = (teamId: number) => `/api/teams/${teamId}/members/`;
const one = (teamId: number, username: string) => `${base(teamId)}${encodeURIComponent(username)}/`;

/** GET /api/teams/<id>/members/ */
export async function listMembers(teamId: number, signal?: AbortSignal): Promise<Member[]> {
  return itemsOf(await request<Member[] | Page<Member>>('GET', base(teamId), undefined, { signal }));
}

export function useMembers(teamId: number | null) {
  return useRequest(teamId === null ? null : `members:${teamId}`, (signal) => listMembers(teamId as number, signal));
}

/** POST /api/teams/<id>/members/ with {username, role} */
export function addMember(teamId: number, username: string, role: Role): Promise<Member> {
  return request<Member>('POST', base(teamId), { username, role });
}

/** PATCH /api/teams/<id>/members/<username>/ with {role} */
export function changeMemberRole(teamId: number, username: string, role: Role): Promise<Member> {
  return request<Member>('PATCH', one(teamId, username), { role });
}

/** DELETE /api/teams/<id>/members/<username>/ */
export async function removeMember(teamId: number, username: string): Promise<void> {
  await request<unknown>('DELETE', one(teamId, username));
}
