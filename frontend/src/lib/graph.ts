import type { Edge, Node } from '@xyflow/react';
import type { Graph, GraphEdge, GraphNode, GraphNodeData, JsonSchema, NodeSettings, NodeType } from '../api/types';
import { isNoteType } from './handles';

/** What a canvas node carries: exactly the graph format's `data`. */
export type FlowNodeData = GraphNodeData;
export type FlowNode = Node<FlowNodeData, string>;
export type FlowEdge = Edge;

export const NOTE_SIZE = { width: 240, height: 140 };
/** What a node is taken to measure before React Flow has measured it. */
export const DEFAULT_NODE_SIZE = { width: 220, height: 80 };

function clone<T>(value: T): T {
  return value === undefined ? value : (JSON.parse(JSON.stringify(value)) as T);
}

export function toFlowNode(node: GraphNode): FlowNode {
  const data: FlowNodeData = {
    ...node.data,
    label: typeof node.data?.label === 'string' ? node.data.label : '',
    config: node.data?.config && typeof node.data.config === 'object' ? node.data.config : {},
  };
  const flowNode: FlowNode = {
    id: String(node.id),
    type: node.type,
    position: { x: Number(node.position?.x) || 0, y: Number(node.position?.y) || 0 },
    data,
  };
  if (isNoteType(node.type)) {
    flowNode.width = node.width ?? NOTE_SIZE.width;
    flowNode.height = node.height ?? NOTE_SIZE.height;
    flowNode.zIndex = -1;
  }
  return flowNode;
}

export function toFlowEdge(edge: GraphEdge): FlowEdge {
  return {
    id: String(edge.id),
    source: String(edge.source),
    sourceHandle: edge.sourceHandle,
    target: String(edge.target),
    targetHandle: edge.targetHandle,
  };
}

export function fromGraph(graph: Graph | null | undefined): { nodes: FlowNode[]; edges: FlowEdge[] } {
  return {
    nodes: (graph?.nodes ?? []).map(toFlowNode),
    edges: (graph?.edges ?? []).map(toFlowEdge),
  };
}

export function toGraphNode(node: FlowNode): GraphNode {
  const out: GraphNode = {
    id: node.id,
    type: node.type ?? 'default',
    position: { x: Math.round(node.position.x * 10) / 10, y: Math.round(node.position.y * 10) / 10 },
    data: clone(node.data),
  };
  if (isNoteType(node.type)) {
    const width = node.width ?? node.measured?.width;
    const height = node.height ?? node.measured?.height;
    if (width) out.width = Math.round(width);
    if (height) out.height = Math.round(height);
  }
  return out;
}

export function toGraphEdge(edge: FlowEdge): GraphEdge {
  return {
    id: edge.id,
    source: edge.source,
    sourceHandle: edge.sourceHandle ?? '',
    target: edge.target,
    targetHandle: edge.targetHandle ?? '',
  };
}

/** The graph format the API stores: no selection, measurements or other view state. */
export function toGraph(nodes: FlowNode[], edges: FlowEdge[]): Graph {
  return { nodes: nodes.map(toGraphNode), edges: edges.map(toGraphEdge) };
}

/** Defaults of an object schema's properties, where they declare one. */
export function schemaDefaults(schema: JsonSchema | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const props = schema?.properties;
  if (props && typeof props === 'object') {
    for (const [key, prop] of Object.entries(props as Record<string, JsonSchema>)) {
      if (prop && typeof prop === 'object' && 'default' in prop) out[key] = clone(prop.default);
    }
  }
  return out;
}

export function defaultSettings(nodeType: NodeType | undefined): NodeSettings {
  return { on_error: 'fail', ...schemaDefaults(nodeType?.settings_schema) } as NodeSettings;
}

export function newFlowNode(
  nodeType: NodeType,
  id: string,
  position: { x: number; y: number },
): FlowNode {
  const config = clone(nodeType.config_defaults ?? schemaDefaults(nodeType.config_schema)) ?? {};
  const data: FlowNodeData = { label: nodeType.label, config };
  if (nodeType.executable) data.settings = defaultSettings(nodeType);
  return toFlowNode({ id, type: nodeType.type, position, data, ...(isNoteType(nodeType.type) ? NOTE_SIZE : {}) });
}

const upstreamCache = new WeakMap<readonly FlowEdge[], Map<string, string[]>>();

/** Sources feeding each node, computed once per edges array (shared by every node's selector). */
export function upstreamOf(edges: readonly FlowEdge[]): Map<string, string[]> {
  let index = upstreamCache.get(edges);
  if (!index) {
    index = new Map();
    for (const e of edges) {
      const list = index.get(e.target);
      if (list) {
        if (!list.includes(e.source)) list.push(e.source);
      } else index.set(e.target, [e.source]);
    }
    upstreamCache.set(edges, index);
  }
  return index;
}
