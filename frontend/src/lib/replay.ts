// Replay mode in the editor: when to offer "Run with recorded answers", and which run to
// take the answers from.
import type { GraphNode, RunSummary } from '../api/types';

/** Node types that call a model through a credential of the team. */
export const MODEL_NODE_TYPES: readonly string[] = ['llm', 'router', 'agent', 'plan'];

type NodeLike = Pick<GraphNode, 'type'> & { data: { config?: Record<string, unknown> } };

/** The flow has a model node with no credential chosen: it can only run in replay mode. */
export function needsRecordedAnswers(nodes: readonly NodeLike[]): boolean {
  return nodes.some((node) => MODEL_NODE_TYPES.includes(node.type ?? '') && node.data.config?.credential == null);
}

/** Runs that may answer a replay: ended ones, a shipped recording first, then the newest. */
export function replaySources(runs: readonly RunSummary[]): RunSummary[] {
  const ended = runs.filter((run) => !['pending', 'running', 'waiting'].includes(run.status));
  return [...ended.filter((run) => run.trigger === 'recording'), ...ended.filter((run) => run.trigger !== 'recording')];
}
