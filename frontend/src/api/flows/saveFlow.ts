import { request } from '../client';
import type { Flow, Graph } from '../types';

export interface FlowSave {
  name: string;
  description: string;
  graph: Graph;
  /** The revision this save is based on; an older one answers 409. */
  revision: number;
}

/** PUT /api/flows/<id>/ */
export function saveFlow(id: number, flow: FlowSave): Promise<Flow> {
  return request<Flow>('PUT', `/api/flows/${id}/`, flow);
}
