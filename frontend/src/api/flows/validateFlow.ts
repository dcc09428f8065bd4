import { request } from '../client';
import type { Graph, ValidationResult } from '../types';

/** POST /api/flows/<id>/validate/ — of the draft when `graph` is given, else of the saved graph. */
export function validateFlow(id: number, graph?: Graph): Promise<ValidationResult> {
  return request<ValidationResult>('POST', `/api/flows/${id}/validate/`, graph ? { graph } : {});
}
