import { request } from '../client';
import type { Flow, Graph } from '../types';

export interface NewFlow {
  team?: number;
  name: string;
  description?: string;
  graph?: Graph;
}

/** POST /api/flows/ */
export function createFlow(flow: NewFlow): Promise<Flow> {
  return request<Flow>('POST', '/api/flows/', flow);
}
