// A comparison of two graphs (the server's diff, GET .../versions/<a>/diff/<b>/)
// turned into something to draw: the newer graph with the older one's removed
// nodes and edges put back, ghosted, and a mark for each node and edge that differs.
import type { Graph, GraphDiff, GraphEdge, GraphNode } from '../api/types';
import type { DiffMark } from '../stores/graphStore';

export interface DiffView {
  graph: Graph;
  nodeMarks: Record<string, DiffMark>;
  edgeMarks: Record<string, DiffMark>;
}

/** `to` is the newer side's whole graph (the diff lists only what differs). */
export function buildDiffView(diff: GraphDiff, to: Graph): DiffView {
  const nodeMarks: Record<string, DiffMark> = {};
  const edgeMarks: Record<string, DiffMark> = {};
  const nodes: GraphNode[] = [...(to.nodes ?? [])];
  const edges: GraphEdge[] = [...(to.edges ?? [])];
  const nodeIds = new Set(nodes.map((n) => n.id));
  const edgeIds = new Set(edges.map((e) => e.id));

  for (const id of diff.nodes.moved) nodeMarks[id] = 'moved';
  for (const change of diff.nodes.changed) nodeMarks[change.id] = 'changed';
  for (const node of diff.nodes.added) nodeMarks[node.id] = 'added';
  for (const node of diff.nodes.removed) {
    if (nodeIds.has(node.id)) continue;
    nodes.push(node);
    nodeIds.add(node.id);
    nodeMarks[node.id] = 'removed';
  }
  for (const change of diff.edges.changed) edgeMarks[change.id] = 'changed';
  for (const edge of diff.edges.added) edgeMarks[edge.id] = 'added';
  for (const edge of diff.edges.removed) {
    // An edge can only be drawn between nodes on the canvas.
    if (edgeIds.has(edge.id) || !nodeIds.has(edge.source) || !nodeIds.has(edge.target)) continue;
    edges.push(edge);
    edgeIds.add(edge.id);
    edgeMarks[edge.id] = 'removed';
  }
  // Marks only for what is drawn.
  for (const id of Object.keys(nodeMarks)) if (!nodeIds.has(id)) delete nodeMarks[id];
  for (const id of Object.keys(edgeMarks)) if (!edgeIds.has(id)) delete edgeMarks[id];
  return { graph: { nodes, edges }, nodeMarks, edgeMarks };
}

export interface DiffEntry {
  kind: 'node' | 'edge';
  id: string;
  mark: DiffMark;
  /** A node's label (or id); an edge as "source → target". */
  label: string;
  /** What changed, in words: "config", "label", "type"... */
  fields: string[];
}

const FIELD_NAMES: Record<string, string> = {
  'data.config': 'config',
  'data.label': 'label',
  'data.settings': 'settings',
  type: 'type',
  position: 'position',
  sourceHandle: 'source handle',
  targetHandle: 'target handle',
  source: 'source',
  target: 'target',
};

function fieldName(field: string): string {
  return FIELD_NAMES[field] ?? field.replace(/^data\./, '');
}

function nodeLabel(node: GraphNode | undefined, id: string): string {
  const label = node?.data?.label;
  return typeof label === 'string' && label.trim() ? `${label} (${id})` : id;
}

const ORDER: Record<DiffMark, number> = { added: 0, removed: 1, changed: 2, moved: 3 };

/** The comparison as a list for people: added, removed, changed, moved; nodes before edges. */
export function summarizeDiff(diff: GraphDiff, to: Graph): DiffEntry[] {
  const toNodes = new Map((to.nodes ?? []).map((n) => [n.id, n]));
  const entries: DiffEntry[] = [];
  for (const n of diff.nodes.added) entries.push({ kind: 'node', id: n.id, mark: 'added', label: nodeLabel(n, n.id), fields: [] });
  for (const n of diff.nodes.removed) entries.push({ kind: 'node', id: n.id, mark: 'removed', label: nodeLabel(n, n.id), fields: [] });
  for (const c of diff.nodes.changed) {
    entries.push({ kind: 'node', id: c.id, mark: 'changed', label: nodeLabel(c.after, c.id), fields: c.fields.map(fieldName) });
  }
  for (const id of diff.nodes.moved) entries.push({ kind: 'node', id, mark: 'moved', label: nodeLabel(toNodes.get(id), id), fields: ['position'] });
  const edgeLabel = (e: GraphEdge) => `${e.source} → ${e.target}`;
  for (const e of diff.edges.added) entries.push({ kind: 'edge', id: e.id, mark: 'added', label: edgeLabel(e), fields: [] });
  for (const e of diff.edges.removed) entries.push({ kind: 'edge', id: e.id, mark: 'removed', label: edgeLabel(e), fields: [] });
  for (const c of diff.edges.changed) {
    entries.push({ kind: 'edge', id: c.id, mark: 'changed', label: edgeLabel(c.after), fields: c.fields.map(fieldName) });
  }
  return entries.sort((a, b) => (a.kind === b.kind ? ORDER[a.mark] - ORDER[b.mark] : a.kind === 'node' ? -1 : 1));
}

/** "2 added, 1 removed, 3 changed" (nodes and edges together), or "no differences". */
export function describeDiffCounts(entries: readonly DiffEntry[]): string {
  const counts: Partial<Record<DiffMark, number>> = {};
  for (const e of entries) counts[e.mark] = (counts[e.mark] ?? 0) + 1;
  const parts = (['added', 'removed', 'changed', 'moved'] as const).filter((m) => counts[m]).map((m) => `${counts[m]} ${m}`);
  return parts.length ? parts.join(', ') : 'no differences';
}
