import dagre from '@dagrejs/dagre';
import { DEFAULT_NODE_SIZE, type FlowEdge, type FlowNode } from './graph';
import { isNoteType } from './handles';

export { DEFAULT_NODE_SIZE };

function sizeOf(node: FlowNode): { width: number; height: number } {
  return {
    width: node.measured?.width ?? node.width ?? DEFAULT_NODE_SIZE.width,
    height: node.measured?.height ?? node.height ?? DEFAULT_NODE_SIZE.height,
  };
}

/**
 * Left-to-right layered layout of the executable nodes (sticky notes stay where
 * they are). Returns new top-left positions; the drawing keeps its top-left corner
 * so the view does not jump.
 */
export function layoutPositions(
  nodes: readonly FlowNode[],
  edges: readonly FlowEdge[],
  options: { rankdir?: 'LR' | 'TB'; nodesep?: number; ranksep?: number } = {},
): Map<string, { x: number; y: number }> {
  const laid = nodes.filter((n) => !isNoteType(n.type));
  const result = new Map<string, { x: number; y: number }>();
  if (laid.length === 0) return result;
  const g = new dagre.graphlib.Graph();
  g.setGraph({ rankdir: options.rankdir ?? 'LR', nodesep: options.nodesep ?? 36, ranksep: options.ranksep ?? 90 });
  g.setDefaultEdgeLabel(() => ({}));
  const ids = new Set(laid.map((n) => n.id));
  for (const node of laid) g.setNode(node.id, sizeOf(node));
  for (const edge of edges) {
    if (ids.has(edge.source) && ids.has(edge.target)) g.setEdge(edge.source, edge.target);
  }
  dagre.layout(g);

  const minX = Math.min(...laid.map((n) => n.position.x));
  const minY = Math.min(...laid.map((n) => n.position.y));
  let laidMinX = Infinity;
  let laidMinY = Infinity;
  const raw = new Map<string, { x: number; y: number }>();
  for (const node of laid) {
    const { x, y } = g.node(node.id);
    const { width, height } = sizeOf(node);
    const topLeft = { x: x - width / 2, y: y - height / 2 };
    raw.set(node.id, topLeft);
    laidMinX = Math.min(laidMinX, topLeft.x);
    laidMinY = Math.min(laidMinY, topLeft.y);
  }
  for (const [id, p] of raw) {
    result.set(id, { x: Math.round(p.x - laidMinX + minX), y: Math.round(p.y - laidMinY + minY) });
  }
  return result;
}
