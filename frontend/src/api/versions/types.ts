// Shapes of the versions endpoints (docs/api-shapes.md, "Versions").
import type { Graph, GraphEdge, GraphNode } from '../types';

export interface FlowVersionSummary {
  number: number;
  note: string;
  flow_revision: number;
  node_count: number;
  created_by: string | null;
  created_at: string;
}

export interface FlowVersion extends FlowVersionSummary {
  flow: number;
  graph: Graph;
}

/** A side of a comparison: a version number, or the saved draft. */
export type VersionRef = number | 'draft';

export interface DiffSide {
  version: number | null;
  revision: number | null;
  label: string;
}

export interface ItemChange<T> {
  id: string;
  /** Dotted names of what differs: `type`, `data.config`, `data.label`, ... */
  fields: string[];
  before: T;
  after: T;
}

export interface GraphDiff {
  from: DiffSide;
  to: DiffSide;
  nodes: {
    added: GraphNode[];
    removed: GraphNode[];
    changed: ItemChange<GraphNode>[];
    moved: string[];
    unchanged: number;
  };
  edges: {
    added: GraphEdge[];
    removed: GraphEdge[];
    changed: ItemChange<GraphEdge>[];
    unchanged: number;
  };
  identical: boolean;
}
