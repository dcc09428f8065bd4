// /api/flows/<id>/versions/: publishing, reading, restoring and comparing a flow's versions.
import { request, requestAll } from './client';
import { useRequest } from './useRequest';
import type { Flow, FlowVersion, FlowVersionSummary, GraphDiff, VersionRef } from './types';

const base = (flowId: number) => `/api/flows/${flowId}/versions/`;

/** GET /api/flows/<id>/versions/ — newest first (every page). */
export function listVersions(flowId: number, signal?: AbortSignal): Promise<FlowVersionSummary[]> {
  return requestAll<FlowVersionSummary>(`${base(flowId)}?page_size=100`, { signal });
}

export function useVersions(flowId: number | null, refreshKey = 0) {
  return useRequest(flowId === null ? null : `versions:${flowId}:${refreshKey}`, (signal) =>
    listVersions(flowId as number, signal),
  );
}

/** GET /api/flows/<id>/versions/<n>/ — the version with its graph. */
export function getVersion(flowId: number, number: number, signal?: AbortSignal): Promise<FlowVersion> {
  return request<FlowVersion>('GET', `${base(flowId)}${number}/`, undefined, { signal });
}

/** POST /api/flows/<id>/versions/ — publishes the saved draft (409 when `revision` is not the draft's). */
export function publishVersion(flowId: number, note: string, revision: number): Promise<FlowVersion> {
  return request<FlowVersion>('POST', base(flowId), { note, revision });
}

/** POST /api/flows/<id>/versions/<n>/restore/ — the flow, its draft now equal to version n. */
export function restoreVersion(flowId: number, number: number, revision: number): Promise<Flow> {
  return request<Flow>('POST', `${base(flowId)}${number}/restore/`, { revision });
}

/** GET /api/flows/<id>/versions/<a>/diff/<b>/ */
export function diffVersions(flowId: number, from: VersionRef, to: VersionRef, signal?: AbortSignal): Promise<GraphDiff> {
  return request<GraphDiff>('GET', `${base(flowId)}${from}/diff/${to}/`, undefined, { signal });
}
