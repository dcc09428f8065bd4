import type { Graph, GraphEdge, GraphNode } from '../api/types';
import { toFlowEdge, toFlowNode, toGraphEdge, toGraphNode, type FlowEdge, type FlowNode } from './graph';
import { createIdFactory } from './ids';

/** What Ctrl+C puts on the system clipboard, as JSON text. */
export interface ClipboardPayload {
  baton: 'clipboard';
  version: 1;
  nodes: GraphNode[];
  edges: GraphEdge[];
}

export const PASTE_OFFSET = 40;

/** The selected nodes and the edges running between them, or null when nothing is selected. */
export function copySelection(nodes: readonly FlowNode[], edges: readonly FlowEdge[]): ClipboardPayload | null {
  const picked = nodes.filter((n) => n.selected);
  if (picked.length === 0) return null;
  const ids = new Set(picked.map((n) => n.id));
  return {
    baton: 'clipboard',
    version: 1,
    nodes: picked.map(toGraphNode),
    edges: edges.filter((e) => ids.has(e.source) && ids.has(e.target)).map(toGraphEdge),
  };
}

export function serializeClipboard(payload: ClipboardPayload): string {
  return JSON.stringify(payload);
}

function isGraphNode(value: unknown): value is GraphNode {
  if (!value || typeof value !== 'object') return false;
  const n = value as Record<string, unknown>;
  const pos = n.position as Record<string, unknown> | undefined;
  return (
    (typeof n.id === 'string' || typeof n.id === 'number') &&
    typeof n.type === 'string' &&
    !!pos &&
    typeof pos.x === 'number' &&
    typeof pos.y === 'number' &&
    !!n.data &&
    typeof n.data === 'object'
  );
}

function isGraphEdge(value: unknown): value is GraphEdge {
  if (!value || typeof value !== 'object') return false;
  const e = value as Record<string, unknown>;
  return (typeof e.source === 'string' || typeof e.source === 'number') &&
    (typeof e.target === 'string' || typeof e.target === 'number');
}

/**
 * Reads clipboard text: our own payload, a flow export (`{name, graph}`) or a
 * bare graph (`{nodes, edges}`). Anything else (plain text) gives null.
 */
export function parseClipboard(text: string): ClipboardPayload | null {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return null;
  }
  if (!value || typeof value !== 'object') return null;
  const obj = value as Record<string, unknown>;
  const graph = (obj.graph && typeof obj.graph === 'object' ? obj.graph : obj) as Partial<Graph>;
  if (!Array.isArray(graph.nodes)) return null;
  const nodes = graph.nodes.filter(isGraphNode).map((n) => ({ ...n, id: String(n.id) }));
  if (nodes.length === 0) return null;
  const edges = (Array.isArray(graph.edges) ? graph.edges : []).filter(isGraphEdge);
  return { baton: 'clipboard', version: 1, nodes, edges };
}

/**
 * Turns a payload into new canvas elements: fresh ids that do not clash with
 * `existingNodeIds`/`existingEdgeIds`, positions moved by `offset`, edges kept
 * only between pasted nodes, everything pasted selected.
 */
export function materializePaste(
  payload: ClipboardPayload,
  existingNodeIds: Iterable<string>,
  existingEdgeIds: Iterable<string>,
  offset: { x: number; y: number } = { x: PASTE_OFFSET, y: PASTE_OFFSET },
): { nodes: FlowNode[]; edges: FlowEdge[] } {
  const nextNodeId = createIdFactory('n', existingNodeIds);
  const nextEdgeId = createIdFactory('e', existingEdgeIds);
  const idMap = new Map<string, string>();
  const nodes = payload.nodes.map((n) => {
    const id = nextNodeId();
    idMap.set(String(n.id), id);
    const node = toFlowNode(JSON.parse(JSON.stringify(n)) as GraphNode);
    return {
      ...node,
      id,
      position: { x: node.position.x + offset.x, y: node.position.y + offset.y },
      selected: true,
    };
  });
  const edges: FlowEdge[] = [];
  for (const e of payload.edges) {
    const source = idMap.get(String(e.source));
    const target = idMap.get(String(e.target));
    if (!source || !target) continue;
    edges.push({ ...toFlowEdge({ ...e, source, target }), id: nextEdgeId(), selected: false });
  }
  return { nodes, edges };
}
