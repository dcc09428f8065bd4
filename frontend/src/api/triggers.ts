// /api/flows/<id>/triggers/: the secret URLs that start a flow.
import { itemsOf, request } from './client';
import { useRequest } from './useRequest';
import type { NewTriggerUrl, Page, TriggerUrl } from './types';

const base = (flowId: number) => `/api/flows/${flowId}/triggers/`;

/** GET /api/flows/<id>/triggers/ — active and revoked, newest first. */
export async function listTriggers(flowId: number, signal?: AbortSignal): Promise<TriggerUrl[]> {
  return itemsOf(await request<TriggerUrl[] | Page<TriggerUrl>>('GET', base(flowId), undefined, { signal }));
}

export function useTriggers(flowId: number | null, refreshKey = 0) {
  return useRequest(flowId === null ? null : `triggers:${flowId}:${refreshKey}`, (signal) =>
    listTriggers(flowId as number, signal),
  );
}

/** POST /api/flows/<id>/triggers/ — the answer carries `token` and `url`, shown once. */
export function createTrigger(flowId: number, name: string, version: number | null): Promise<NewTriggerUrl> {
  return request<NewTriggerUrl>('POST', base(flowId), { name, version });
}

/** DELETE /api/flows/<id>/triggers/<tid>/ — revokes it. */
export async function revokeTrigger(flowId: number, triggerId: number): Promise<void> {
  await request<unknown>('DELETE', `${base(flowId)}${triggerId}/`);
}
