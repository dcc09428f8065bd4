// Small facts about a run for the run view: usage in words, the children of a node.
import type { ChildRun, RunStatus, Usage } from '../api/types';

/** "1,234 in / 56 out tokens · $0.0123", or null when the run used no model. */
export function formatUsage(usage: Usage | null | undefined): string | null {
  if (!usage) return null;
  if (usage.cached) {
    const saved = describeTokens(usage.saved?.input_tokens, usage.saved?.output_tokens, usage.saved?.cost_usd);
    return saved ? `cached: nothing spent · saved ${saved}` : 'cached: nothing spent';
  }
  const spent = describeTokens(usage.input_tokens, usage.output_tokens, usage.cost_usd);
  const saved = describeTokens(usage.saved_input_tokens, usage.saved_output_tokens, usage.saved_cost_usd);
  if (!saved) return spent;
  return `${spent ?? 'nothing spent'} · saved by the cache ${saved}`;
}

function describeTokens(tokensIn = 0, tokensOut = 0, cost = 0): string | null {
  if (!tokensIn && !tokensOut && !cost) return null;
  const n = (x: number) => x.toLocaleString('en-US');
  const parts = [`${n(tokensIn)} in / ${n(tokensOut)} out tokens`];
  if (cost) parts.push(`$${cost < 1 ? cost.toFixed(4) : cost.toFixed(2)}`);
  return parts.join(' · ');
}

/** The child runs one node started, in item order (a map's keys are indexes). */
export function childrenOf(children: readonly ChildRun[] | undefined, nodeId: string): ChildRun[] {
  const mine = (children ?? []).filter((c) => c.parent_node_id === nodeId);
  return mine.sort((a, b) => {
    const ka = Number(a.parent_key);
    const kb = Number(b.parent_key);
    if (a.parent_key !== '' && b.parent_key !== '' && Number.isFinite(ka) && Number.isFinite(kb)) return ka - kb;
    return a.created_at < b.created_at ? -1 : a.created_at > b.created_at ? 1 : 0;
  });
}

/** Node types whose runs start child runs. */
export const PARENT_TYPES: ReadonlySet<string> = new Set(['subflow', 'map', 'agent']);

const LIVE: readonly RunStatus[] = ['pending', 'running', 'waiting'];

export function isLiveStatus(status: RunStatus | undefined): boolean {
  return status !== undefined && LIVE.includes(status);
}

/** "item 3" for a map item, "tool call abc" for an agent's, "" for a sub-flow. */
export function describeChildKey(child: Pick<ChildRun, 'parent_key'>, nodeType: string | undefined): string {
  if (!child.parent_key || nodeType === 'subflow') return '';
  if (nodeType === 'map' || /^\d+$/.test(child.parent_key)) return `item ${child.parent_key}`;
  return `call ${child.parent_key}`;
}
