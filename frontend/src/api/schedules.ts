// /api/flows/<id>/schedules/: when a flow runs by itself.
import { itemsOf, request } from './client';
import { useRequest } from './useRequest';
import type { Page, Schedule, ScheduleInput } from './types';

const base = (flowId: number) => `/api/flows/${flowId}/schedules/`;

/** GET /api/flows/<id>/schedules/ */
export async function listSchedules(flowId: number, signal?: AbortSignal): Promise<Schedule[]> {
  return itemsOf(await request<Schedule[] | Page<Schedule>>('GET', base(flowId), undefined, { signal }));
}

export function useSchedules(flowId: number | null, refreshKey = 0) {
  return useRequest(flowId === null ? null : `schedules:${flowId}:${refreshKey}`, (signal) =>
    listSchedules(flowId as number, signal),
  );
}

/** POST /api/flows/<id>/schedules/ */
export function createSchedule(flowId: number, body: ScheduleInput): Promise<Schedule> {
  return request<Schedule>('POST', base(flowId), body);
}

/** PATCH /api/flows/<id>/schedules/<sid>/ */
export function updateSchedule(flowId: number, id: number, body: ScheduleInput): Promise<Schedule> {
  return request<Schedule>('PATCH', `${base(flowId)}${id}/`, body);
}

/** DELETE /api/flows/<id>/schedules/<sid>/ */
export async function deleteSchedule(flowId: number, id: number): Promise<void> {
  await request<unknown>('DELETE', `${base(flowId)}${id}/`);
}
