import type { NodeType } from '../api/types';
import type { FlowEdge, FlowNode } from './graph';
import { ERROR_HANDLE, inputHandles, outputHandles } from './handles';

export interface ConnectionRequest {
  source: string | null;
  sourceHandle?: string | null;
  target: string | null;
  targetHandle?: string | null;
}

export type ConnectionCheck =
  | { ok: true; fromErrorHandle: boolean }
  | { ok: false; reason: string };

/** True when an edge source → target would close a loop (target already reaches source). */
export function wouldCreateCycle(source: string, target: string, edges: readonly FlowEdge[]): boolean {
  if (source === target) return true;
  const outgoing = new Map<string, string[]>();
  for (const e of edges) {
    const list = outgoing.get(e.source);
    if (list) list.push(e.target);
    else outgoing.set(e.source, [e.target]);
  }
  const seen = new Set<string>([target]);
  const stack = [target];
  while (stack.length) {
    const current = stack.pop() as string;
    for (const next of outgoing.get(current) ?? []) {
      if (next === source) return true;
      if (!seen.has(next)) {
        seen.add(next);
        stack.push(next);
      }
    }
  }
  return false;
}

function nameOf(node: FlowNode): string {
  return node.data.label ? `"${node.data.label}"` : node.id;
}

/**
 * Would the server's validation accept this edge? Refuses unknown handles,
 * a second edge into a single-valued input, duplicates and cycles. An edge out
 * of `error` is fine (the caller turns on routing for that node).
 */
export function checkConnection(
  conn: ConnectionRequest,
  getNode: (id: string) => FlowNode | undefined,
  edges: readonly FlowEdge[],
  catalog: Readonly<Record<string, NodeType>>,
): ConnectionCheck {
  if (!conn.source || !conn.target) return { ok: false, reason: 'Both ends of an edge need a node.' };
  const source = getNode(conn.source);
  const target = getNode(conn.target);
  if (!source || !target) return { ok: false, reason: 'That node no longer exists.' };
  if (source.id === target.id) return { ok: false, reason: 'A node cannot connect to itself.' };

  const sourceType = catalog[source.type ?? ''];
  const targetType = catalog[target.type ?? ''];
  const outputs = outputHandles(sourceType, source.data.config, source.type);
  const inputs = inputHandles(targetType, target.type);
  const sourceHandle = conn.sourceHandle ?? (outputs.length === 1 ? outputs[0].name : null);
  const targetHandle = conn.targetHandle ?? (inputs.length === 1 ? inputs[0].name : null);

  const output = outputs.find((h) => h.name === sourceHandle);
  if (!output) {
    return { ok: false, reason: `${nameOf(source)} has no output "${sourceHandle ?? ''}".` };
  }
  const input = inputs.find((h) => h.name === targetHandle);
  if (!input) {
    return { ok: false, reason: `${nameOf(target)} has no input "${targetHandle ?? ''}".` };
  }
  const duplicate = edges.some(
    (e) =>
      e.source === source.id &&
      e.target === target.id &&
      (e.sourceHandle ?? null) === output.name &&
      (e.targetHandle ?? null) === input.name,
  );
  if (duplicate) return { ok: false, reason: 'These handles are already connected.' };
  if (!input.many) {
    const taken = edges.some((e) => e.target === target.id && (e.targetHandle ?? null) === input.name);
    if (taken) {
      return {
        ok: false,
        reason: `Input "${input.label}" of ${nameOf(target)} takes one edge and already has one; delete it first.`,
      };
    }
  }
  if (wouldCreateCycle(source.id, target.id, edges)) {
    return { ok: false, reason: `That edge would make a cycle: ${nameOf(target)} already leads to ${nameOf(source)}.` };
  }
  return { ok: true, fromErrorHandle: output.name === ERROR_HANDLE };
}
