// Long on purpose: one store, since every action shares the edit-or-view-state and undo-history bookkeeping below; its pure parts live in lib/.
// The drawing being edited, and its history. React Flow is controlled from
// here: it reports changes, this store decides which ones are edits (and so
// enter undo history and make the flow dirty) and which are only view state
// (selection, measured sizes).
import {
  applyEdgeChanges,
  applyNodeChanges,
  type Connection,
  type EdgeChange,
  type NodeChange,
  type NodeDimensionChange,
} from '@xyflow/react';
import { create } from 'zustand';
import type { Graph, GraphProblem, NodeType } from '../api/types';
import type { ClipboardPayload } from '../lib/clipboard';
import { materializePaste } from '../lib/clipboard';
import { checkConnection, type ConnectionCheck } from '../lib/connection';
import { fromGraph, toGraph, type FlowEdge, type FlowNode, type FlowNodeData } from '../lib/graph';
import { emptyHistory, record, redo as redoHistory, undo as undoHistory, type History } from '../lib/history';
import { createIdFactory } from '../lib/ids';

export interface Snapshot {
  nodes: FlowNode[];
  edges: FlowEdge[];
  /** Identifies this state of the drawing; the flow is dirty when it differs from the saved one. */
  rev: number;
}

/** Marks a comparison puts on the canvas: what became of each node and edge. */
export type DiffMark = 'added' | 'removed' | 'changed' | 'moved';

export interface PreviewOptions {
  /** What is on screen, e.g. "Version 3" or "Version 2 → draft". */
  label: string;
  nodeMarks?: Readonly<Record<string, DiffMark>>;
  edgeMarks?: Readonly<Record<string, DiffMark>>;
}

type Stash = Pick<GraphState, 'nodes' | 'edges' | 'rev' | 'savedRev' | 'history' | 'readOnly' | 'problems' | 'problemsByNode' | 'problemsByEdge'>;

export interface Preview {
  label: string;
  /** Bumped on every preview shown, so the canvas can fit the new drawing. */
  key: number;
  /** The drawing being edited, put aside while another graph is on screen. */
  stash: Stash;
}

export interface GraphState extends Snapshot {
  history: History<Snapshot>;
  savedRev: number;
  /** A drag (or resize) is under way: its first change made the history step. */
  gesture: 'drag' | 'resize' | null;
  readOnly: boolean;
  problems: GraphProblem[];
  problemsByNode: Record<string, string[]>;
  problemsByEdge: Record<string, string[]>;
  /** Another graph (a published version, a comparison) on screen, read-only; the draft waits in the stash. */
  preview: Preview | null;

  load: (graph: Graph | null | undefined, options?: { readOnly?: boolean }) => void;
  setReadOnly: (readOnly: boolean) => void;
  onNodesChange: (changes: NodeChange<FlowNode>[]) => void;
  onEdgesChange: (changes: EdgeChange<FlowEdge>[]) => void;
  connect: (connection: Connection, catalog: Readonly<Record<string, NodeType>>) => ConnectionCheck;
  addNodes: (nodes: FlowNode[], edges?: FlowEdge[]) => void;
  deleteSelected: () => boolean;
  updateNodeData: (id: string, patch: Partial<FlowNodeData>, coalesceKey?: string | null) => void;
  paste: (payload: ClipboardPayload, offset?: { x: number; y: number }) => FlowNode[];
  applyPositions: (positions: Map<string, { x: number; y: number }>) => void;
  selectOnly: (nodeIds: string[], edgeIds?: string[]) => void;
  undo: () => void;
  redo: () => void;
  markSaved: (rev: number) => void;
  setProblems: (problems: GraphProblem[]) => void;
  graph: () => Graph;
  /** Shows `graph` read-only in place of the drawing (which keeps its edits and history). */
  enterPreview: (graph: Graph, options: PreviewOptions) => void;
  /** Back to the drawing as it was left. */
  exitPreview: () => void;
  /**
   * The draft replaced by `graph` as the server now holds it (a restored version):
   * one undo step, and saved. Undo brings the previous drawing back, as an unsaved edit.
   */
  replaceSaved: (graph: Graph) => void;
}

let revCounter = 0;
const nextRev = () => ++revCounter;

function snapshotOf(s: Snapshot): Snapshot {
  return { nodes: s.nodes, edges: s.edges, rev: s.rev };
}

function groupProblems(problems: GraphProblem[]) {
  const byNode: Record<string, string[]> = {};
  const byEdge: Record<string, string[]> = {};
  for (const p of problems) {
    if (p.node_id) (byNode[p.node_id] ??= []).push(p.message);
    if (p.edge_id) (byEdge[p.edge_id] ??= []).push(p.message);
  }
  return { problemsByNode: byNode, problemsByEdge: byEdge };
}

/** `items.map(f)`, or `items` itself when `f` changed none of them. */
function mapIfChanged<T>(items: T[], f: (item: T) => T): T[] {
  let changed = false;
  const next = items.map((item) => {
    const mapped = f(item);
    if (mapped !== item) changed = true;
    return mapped;
  });
  return changed ? next : items;
}

/** React Flow reporting a node's measured size: not a resize, not an edit. */
function isMeasurement(change: NodeChange<FlowNode>): boolean {
  return change.type === 'dimensions' && change.resizing === undefined && !change.setAttributes;
}

/**
 * Measured sizes are written onto the node objects themselves, not into new ones.
 * They are view state, which React Flow has already taken into its own copy of each
 * node; React Flow only needs them on the nodes it is given so that it keeps its
 * measurements when those nodes come back. New node objects would make it adopt
 * every node again and draw each a second time (500 nodes measured on open are
 * 500 new objects).
 */
function recordMeasurements(nodes: readonly FlowNode[], changes: readonly NodeDimensionChange[]): void {
  const byId = new Map<string, FlowNode>();
  for (const node of nodes) byId.set(node.id, node);
  for (const change of changes) {
    const node = byId.get(change.id);
    if (node && change.dimensions) node.measured = { width: change.dimensions.width, height: change.dimensions.height };
  }
}

/** Unsaved edits to the drawing (also while a preview has put it aside). */
export const selectDirty = (s: GraphState) => (s.preview ? s.preview.stash.rev !== s.preview.stash.savedRev : s.rev !== s.savedRev);
export const selectPreview = (s: GraphState) => s.preview;
/**
 * The problems that keep the saved draft from running or being published, while the
 * drawing on screen is that draft (after an edit they may be gone: the server checks
 * the drawing again when it is run or saved). 0 when none is known.
 */
export const selectBlockingProblems = (s: GraphState): number => (s.preview || selectDirty(s) ? 0 : s.problems.length);

function marked<T extends FlowNode | FlowEdge>(item: T, mark: DiffMark | undefined): T {
  if (!mark) return item;
  return { ...item, className: `diff diff--${mark}`, domAttributes: { 'data-diff': mark } as T['domAttributes'] };
}

export const selectCanUndo = (s: GraphState) => s.history.past.length > 0;
export const selectCanRedo = (s: GraphState) => s.history.future.length > 0;

export const selectSelectedCount = (s: GraphState): number => {
  let count = 0;
  for (const n of s.nodes) if (n.selected) count += 1;
  return count;
};

/** The id of the one selected node, or null when none or several are selected. */
export const selectSingleSelectedNodeId = (s: GraphState): string | null => {
  let found: string | null = null;
  for (const n of s.nodes) {
    if (n.selected) {
      if (found !== null) return null;
      found = n.id;
    }
  }
  return found;
};

export const useGraphStore = create<GraphState>()((set, get) => {
  /** An edit: record the state before it (unless `key` says to skip), give the drawing a new rev. */
  const edit = (next: Partial<Snapshot>, key: string | null | false) => {
    const s = get();
    const history = key === false ? s.history : record(s.history, snapshotOf(s), key, Date.now());
    set({ ...next, history, rev: nextRev() });
  };

  return {
    nodes: [],
    edges: [],
    rev: 0,
    history: emptyHistory<Snapshot>(),
    savedRev: 0,
    gesture: null,
    readOnly: false,
    problems: [],
    problemsByNode: {},
    problemsByEdge: {},
    preview: null,

    load: (graph, options = {}) => {
      const { nodes, edges } = fromGraph(graph);
      const rev = nextRev();
      set({
        nodes,
        edges,
        rev,
        savedRev: rev,
        history: emptyHistory<Snapshot>(),
        gesture: null,
        readOnly: Boolean(options.readOnly),
        problems: [],
        problemsByNode: {},
        problemsByEdge: {},
        preview: null,
      });
    },

    setReadOnly: (readOnly) => {
      const { preview } = get();
      if (preview) set({ preview: { ...preview, stash: { ...preview.stash, readOnly } } });
      else set({ readOnly });
    },

    onNodesChange: (changes) => {
      const s = get();
      if (changes.length > 0 && changes.every(isMeasurement)) {
        recordMeasurements(s.nodes, changes as NodeDimensionChange[]);
        return;
      }
      let isEdit = false;
      let key: string | null | false = false;
      let gesture = s.gesture;
      for (const change of changes) {
        switch (change.type) {
          case 'select':
            break;
          case 'dimensions':
            if (change.resizing === true) {
              isEdit = true;
              if (gesture !== 'resize') {
                gesture = 'resize';
                key = null;
              }
            } else if (change.resizing === false) {
              isEdit = true;
              if (gesture === 'resize') gesture = null;
            }
            break;
          case 'position':
            if (!change.position) break;
            isEdit = true;
            if (change.dragging) {
              if (gesture !== 'drag') {
                gesture = 'drag';
                key = null;
              }
            } else if (gesture === 'drag') {
              gesture = null; // the drop: same step as the drag
            } else if (gesture === null && key === false) {
              key = 'nudge'; // arrow keys: a run of presses is one step
            }
            break;
          case 'replace':
            isEdit = true;
            if (key === false) key = `data:${change.id}`;
            break;
          default: // add, remove
            isEdit = true;
            key = null;
        }
      }
      if (s.readOnly && isEdit) {
        // Read-only canvases only take selection and measurement.
        const allowed = changes.filter((c) => c.type === 'select' || (c.type === 'dimensions' && c.resizing === undefined));
        if (allowed.length) set({ nodes: applyNodeChanges(allowed, s.nodes) });
        return;
      }
      const nodes = applyNodeChanges(changes, s.nodes);
      if (!isEdit) {
        set({ nodes, gesture });
        return;
      }
      set({ gesture });
      edit({ nodes }, key);
    },

    onEdgesChange: (changes) => {
      const s = get();
      const isEdit = changes.some((c) => c.type !== 'select');
      if (isEdit && s.readOnly) {
        const allowed = changes.filter((c) => c.type === 'select');
        if (allowed.length) set({ edges: applyEdgeChanges(allowed, s.edges) });
        return;
      }
      const edges = applyEdgeChanges(changes, s.edges);
      if (!isEdit) set({ edges });
      else edit({ edges }, null);
    },

    connect: (connection, catalog) => {
      const s = get();
      if (s.readOnly) return { ok: false, reason: 'This flow is read-only here.' };
      const byId = new Map(s.nodes.map((n) => [n.id, n]));
      const check = checkConnection(connection, (id) => byId.get(id), s.edges, catalog);
      if (!check.ok) return check;
      const id = createIdFactory('e', s.edges.map((e) => e.id))();
      const edge: FlowEdge = {
        id,
        source: connection.source,
        sourceHandle: connection.sourceHandle ?? null,
        target: connection.target,
        targetHandle: connection.targetHandle ?? null,
      };
      let nodes = s.nodes;
      if (check.fromErrorHandle) {
        nodes = s.nodes.map((n) =>
          n.id === connection.source && n.data.settings?.on_error !== 'route'
            ? { ...n, data: { ...n.data, settings: { ...n.data.settings, on_error: 'route' as const } } }
            : n,
        );
      }
      edit({ nodes, edges: [...s.edges, edge] }, null);
      return check;
    },

    addNodes: (added, addedEdges = []) => {
      const s = get();
      if (s.readOnly || added.length === 0) return;
      const nodes = s.nodes.map((n) => (n.selected ? { ...n, selected: false } : n));
      const edges = s.edges.map((e) => (e.selected ? { ...e, selected: false } : e));
      edit(
        {
          nodes: [...nodes, ...added.map((n) => ({ ...n, selected: true }))],
          edges: [...edges, ...addedEdges],
        },
        null,
      );
    },

    deleteSelected: () => {
      const s = get();
      if (s.readOnly) return false;
      const removed = new Set(s.nodes.filter((n) => n.selected && n.deletable !== false).map((n) => n.id));
      const edges = s.edges.filter((e) => !e.selected && !removed.has(e.source) && !removed.has(e.target));
      if (removed.size === 0 && edges.length === s.edges.length) return false;
      edit({ nodes: s.nodes.filter((n) => !removed.has(n.id)), edges }, null);
      return true;
    },

    updateNodeData: (id, patch, coalesceKey = null) => {
      const s = get();
      if (s.readOnly) return;
      const nodes = s.nodes.map((n) => (n.id === id ? { ...n, data: { ...n.data, ...patch } } : n));
      edit({ nodes }, coalesceKey);
    },

    paste: (payload, offset) => {
      const s = get();
      if (s.readOnly) return [];
      const { nodes, edges } = materializePaste(
        payload,
        s.nodes.map((n) => n.id),
        s.edges.map((e) => e.id),
        offset,
      );
      get().addNodes(nodes, edges);
      return nodes;
    },

    applyPositions: (positions) => {
      const s = get();
      if (s.readOnly || positions.size === 0) return;
      const nodes = s.nodes.map((n) => {
        const p = positions.get(n.id);
        return p && (p.x !== n.position.x || p.y !== n.position.y) ? { ...n, position: p } : n;
      });
      edit({ nodes }, null);
    },

    selectOnly: (nodeIds, edgeIds = []) => {
      const s = get();
      const wantNodes = new Set(nodeIds);
      const wantEdges = new Set(edgeIds);
      // Arrays with nothing changed stay the same arrays: whatever derives from
      // them (each node's upstream, say) need not be worked out again.
      set({
        nodes: mapIfChanged(s.nodes, (n) => (Boolean(n.selected) === wantNodes.has(n.id) ? n : { ...n, selected: wantNodes.has(n.id) })),
        edges: mapIfChanged(s.edges, (e) => (Boolean(e.selected) === wantEdges.has(e.id) ? e : { ...e, selected: wantEdges.has(e.id) })),
      });
    },

    undo: () => {
      const s = get();
      if (s.readOnly) return;
      const result = undoHistory(s.history, snapshotOf(s));
      if (result) set({ ...result.present, history: result.history, gesture: null });
    },

    redo: () => {
      const s = get();
      if (s.readOnly) return;
      const result = redoHistory(s.history, snapshotOf(s));
      if (result) set({ ...result.present, history: result.history, gesture: null });
    },

    markSaved: (rev) => set({ savedRev: rev }),

    setProblems: (problems) => set({ problems, ...groupProblems(problems) }),

    graph: () => toGraph(get().nodes, get().edges),

    enterPreview: (graph, { label, nodeMarks = {}, edgeMarks = {} }) => {
      const s = get();
      const stash: Stash = s.preview?.stash ?? {
        nodes: s.nodes.map((n) => (n.selected ? { ...n, selected: false } : n)),
        edges: s.edges,
        rev: s.rev,
        savedRev: s.savedRev,
        history: s.history,
        readOnly: s.readOnly,
        problems: s.problems,
        problemsByNode: s.problemsByNode,
        problemsByEdge: s.problemsByEdge,
      };
      const { nodes, edges } = fromGraph(graph);
      const rev = nextRev();
      set({
        nodes: nodes.map((n) => marked(n, nodeMarks[n.id])),
        edges: edges.map((e) => marked(e, edgeMarks[e.id])),
        rev,
        savedRev: rev,
        history: emptyHistory<Snapshot>(),
        gesture: null,
        readOnly: true,
        problems: [],
        problemsByNode: {},
        problemsByEdge: {},
        preview: { label, key: (s.preview?.key ?? 0) + 1, stash },
      });
    },

    exitPreview: () => {
      const { preview } = get();
      if (!preview) return;
      set({ ...preview.stash, gesture: null, preview: null });
    },

    replaceSaved: (graph) => {
      const s = get();
      if (s.preview) get().exitPreview();
      const { nodes, edges } = fromGraph(graph);
      edit({ nodes, edges }, null);
      set({ savedRev: get().rev, problems: [], problemsByNode: {}, problemsByEdge: {} });
    },
  };
});
