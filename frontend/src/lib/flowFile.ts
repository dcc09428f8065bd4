import type { Flow, FlowFile, Graph } from '../api/types';

/** What export writes: `{name, description, graph}`. */
export function toFlowFile(flow: Pick<Flow, 'name' | 'description' | 'graph'>): FlowFile {
  return { name: flow.name, description: flow.description ?? '', graph: flow.graph ?? { nodes: [], edges: [] } };
}

export function flowFileName(name: string): string {
  const slug = name
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
  return `${slug || 'flow'}.json`;
}

/** Reads an exported file back; throws an Error saying what is wrong. */
export function parseFlowFile(text: string, fallbackName = 'Imported flow'): FlowFile {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new Error('The file is not JSON.');
  }
  if (!value || typeof value !== 'object' || Array.isArray(value)) throw new Error('The file is not a flow export.');
  const obj = value as Record<string, unknown>;
  const graph = (obj.graph ?? (Array.isArray(obj.nodes) ? { nodes: obj.nodes, edges: obj.edges ?? [] } : null)) as Graph | null;
  if (!graph || typeof graph !== 'object' || !Array.isArray(graph.nodes) || (graph.edges !== undefined && !Array.isArray(graph.edges))) {
    throw new Error('The file has no graph with nodes and edges.');
  }
  return {
    name: typeof obj.name === 'string' && obj.name.trim() ? obj.name.trim() : fallbackName,
    description: typeof obj.description === 'string' ? obj.description : '',
    graph: { nodes: graph.nodes, edges: graph.edges ?? [] },
  };
}

export function downloadJson(fileName: string, value: unknown): void {
  const blob = new Blob([JSON.stringify(value, null, 2)], { type: 'application/json' });
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = fileName;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}
