// /api/flows/<id>/datasets/ and /api/flows/<id>/evaluations/: a flow's datasets, and
// evaluations that run one through the flow and score each row (docs/api-shapes.md).
import { request } from './client';
import { useRequest } from './useRequest';

export interface DatasetSummary {
  id: number;
  flow: number;
  name: string;
  row_count: number;
  created_at: string;
}

export type ScorerType = 'exact' | 'contains' | 'json_subset' | 'regex' | 'numeric' | 'schema' | 'judge';

export interface Scorer {
  type: ScorerType;
  [option: string]: unknown;
}

export interface RowScore {
  type: ScorerType;
  score: number | null;
  pass: boolean | null;
  reason: string;
}

export interface EvaluationRow {
  index: number;
  status: 'pending' | 'running' | 'judging' | 'done';
  inputs: Record<string, unknown> | null;
  expected: unknown;
  run: string | null;
  run_status: string | null;
  outputs: Record<string, unknown> | null;
  scores: RowScore[];
  pass: boolean | null;
  error: string | null;
  cost_usd: number;
  latency_ms: number | null;
}

export interface EvaluationTotals {
  rows: number;
  done: number;
  passed: number;
  failed: number;
  pass_rate: number | null;
  scorers: { type: ScorerType; mean: number | null }[];
  cost_usd: number;
  mean_latency_ms: number | null;
}

export interface Evaluation {
  id: number;
  flow: number;
  dataset: number;
  version: number | 'draft';
  replay: boolean;
  replay_runs: string[];
  scorers: Scorer[];
  max_parallel: number;
  status: 'running' | 'succeeded' | 'cancelled';
  totals: EvaluationTotals;
  created_at: string;
  finished_at: string | null;
  rows?: EvaluationRow[];
}

export interface NewEvaluation {
  dataset: number;
  replay: boolean;
  scorers: Scorer[];
  version?: number | 'draft';
}

/** GET /api/flows/<id>/datasets/ */
export function useDatasets(flowId: number, refreshKey = 0) {
  return useRequest(`datasets:${flowId}:${refreshKey}`, (signal) =>
    request<DatasetSummary[]>('GET', `/api/flows/${flowId}/datasets/`, undefined, { signal }),
  );
}

/** POST /api/flows/<id>/datasets/ — rows as JSON. */
export function createDataset(flowId: number, name: string, rows: unknown): Promise<DatasetSummary> {
  return request<DatasetSummary>('POST', `/api/flows/${flowId}/datasets/`, { name, rows });
}

/** GET /api/flows/<id>/evaluations/ — newest first, without rows. */
export function useEvaluations(flowId: number, refreshKey = 0) {
  return useRequest(`evaluations:${flowId}:${refreshKey}`, (signal) =>
    request<Evaluation[]>('GET', `/api/flows/${flowId}/evaluations/`, undefined, { signal }),
  );
}

/** GET /api/evaluations/<id>/ — with its rows. */
export function useEvaluation(id: number | null, refreshKey = 0) {
  return useRequest(id === null ? null : `evaluation:${id}:${refreshKey}`, (signal) =>
    request<Evaluation>('GET', `/api/evaluations/${id}/`, undefined, { signal }),
  );
}

/** POST /api/flows/<id>/evaluations/ → 201, the evaluation started. */
export function startEvaluation(flowId: number, body: NewEvaluation): Promise<Evaluation> {
  return request<Evaluation>('POST', `/api/flows/${flowId}/evaluations/`, body);
}

/** POST /api/flows/<id>/datasets/ — rows from a .csv (input.<key>, expected) or .jsonl file. */
export function uploadDataset(flowId: number, name: string, file: File): Promise<DatasetSummary> {
  const body = new FormData();
  body.append('name', name);
  body.append('file', file);
  return request<DatasetSummary>('POST', `/api/flows/${flowId}/datasets/`, body);
}
