// The run on screen, apart from the drawing (STYLE #13): every node's state
// keyed by node id, fed by typed websocket events and by HTTP replies.
//
// Ordering rules: each applied event or snapshot sets `seq`; events with a seq
// at or below it are dropped (a reconnect may replay). A snapshot replaces the
// whole state unless it is older than what we already have. The HTTP reply that
// started the run can arrive after the socket's first events, so `loadRun`
// goes through the same rule.
import { create } from 'zustand';
import type {
  NodeRun,
  NodeStatus,
  Run,
  RunEvent,
  RunStatus,
  RunSummary,
} from '../api/types';
import { TERMINAL_RUN_STATUSES } from '../api/types';

export interface NodeRunState extends NodeRun {
  /** The output is a preview; the full value is on GET /api/runs/<id>/. */
  truncated?: boolean;
}

export type RunInfo = Omit<RunSummary, 'id'> & { id: string };

export type ConnectionState = 'idle' | 'connecting' | 'open' | 'reconnecting' | 'closed';

export interface RunState {
  runId: string | null;
  run: RunInfo | null;
  nodes: Record<string, NodeRunState>;
  /** The seq of the last applied snapshot or event; -1 before anything. */
  seq: number;
  connection: ConnectionState;
  /** Started a run / opened a run page: the state now belongs to this run. */
  begin: (runId: string) => void;
  /** A run object from the API, applied as a snapshot. */
  loadRun: (run: Run) => boolean;
  /** A websocket event; returns whether it was applied. */
  applyEvent: (event: RunEvent) => boolean;
  /** Several events in one store update (one render); returns how many applied. */
  applyEvents: (events: readonly RunEvent[]) => number;
  setConnection: (connection: ConnectionState) => void;
  clear: () => void;
}

function emptyNode(nodeId: string): NodeRunState {
  return {
    node_id: nodeId,
    type: '',
    status: 'pending',
    attempts: 0,
    output: null,
    error: null,
    started_at: null,
    finished_at: null,
    duration_ms: null,
    reason: null,
    stream: '',
  };
}

function runInfoOf(run: Run): RunInfo {
  const { graph: _graph, nodes: _nodes, seq: _seq, ...info } = run;
  void _graph;
  void _nodes;
  void _seq;
  return info;
}

function nodesOf(run: Run): Record<string, NodeRunState> {
  const out: Record<string, NodeRunState> = {};
  for (const n of run.nodes ?? []) out[n.node_id] = { ...emptyNode(n.node_id), ...n, stream: n.stream ?? '' };
  return out;
}

const initial = {
  runId: null,
  run: null,
  nodes: {},
  seq: -1,
  connection: 'idle' as ConnectionState,
};

type RunData = Pick<RunState, 'runId' | 'run' | 'nodes' | 'seq'>;

/**
 * One event applied to the run state, by the rules above; null when the event
 * is dropped (another run, or not newer than what is held). Pure, so a batch
 * of events can be folded into one store update.
 */
export function reduceRunEvent(state: RunData, event: RunEvent): RunData | null {
  if (event.type === 'run.snapshot') return reduceSnapshot(state, event.run, event.seq);
  if (state.runId === null || event.run_id !== state.runId) return null;
  if (event.seq <= state.seq) return null;
  switch (event.type) {
    case 'run.status': {
      const run = state.run ? { ...state.run } : ({ id: state.runId } as RunInfo);
      run.status = event.status;
      run.error = event.error ?? null;
      if (event.finished_at !== undefined) run.finished_at = event.finished_at;
      if (event.outputs !== undefined) run.outputs = event.outputs;
      if (event.started_at !== undefined) run.started_at = event.started_at;
      if (event.duration_ms !== undefined) run.duration_ms = event.duration_ms;
      if (event.usage !== undefined) run.usage = event.usage;
      return { ...state, run, seq: event.seq };
    }
    case 'node.status': {
      const prev = state.nodes[event.node_id] ?? emptyNode(event.node_id);
      const newAttempt =
        (event.status === 'running' || event.status === 'queued') && event.attempts > prev.attempts && prev.attempts > 0;
      const next: NodeRunState = {
        ...prev,
        status: event.status,
        attempts: event.attempts ?? prev.attempts,
        error: event.error ?? null,
        started_at: event.started_at ?? prev.started_at,
        finished_at: event.finished_at ?? null,
        duration_ms: event.duration_ms ?? null,
        reason: event.reason !== undefined ? event.reason : event.status === 'pending' ? prev.reason : null,
        message: event.message !== undefined ? event.message : prev.message,
        stream: newAttempt ? '' : prev.stream,
        source: event.source !== undefined ? event.source : prev.source,
        source_run: event.source_run !== undefined ? event.source_run : prev.source_run,
      };
      return { ...state, nodes: { ...state.nodes, [event.node_id]: next }, seq: event.seq };
    }
    case 'node.delta': {
      const prev = state.nodes[event.node_id] ?? emptyNode(event.node_id);
      const next = { ...prev, stream: (prev.stream ?? '') + event.text };
      return { ...state, nodes: { ...state.nodes, [event.node_id]: next }, seq: event.seq };
    }
    case 'node.output': {
      const prev = state.nodes[event.node_id] ?? emptyNode(event.node_id);
      const next = { ...prev, output: event.output, truncated: Boolean(event.truncated) };
      return { ...state, nodes: { ...state.nodes, [event.node_id]: next }, seq: event.seq };
    }
    default:
      return null;
  }
}

/** Replace everything with this run's state, unless it is another run or older than what is held. */
function reduceSnapshot(state: RunData, run: Run, seq: number): RunData | null {
  if (state.runId !== null && run.id !== state.runId) return null;
  if (seq < state.seq) return null;
  return { runId: run.id, run: runInfoOf(run), nodes: nodesOf(run), seq };
}

function dataOf(s: RunState): RunData {
  return { runId: s.runId, run: s.run, nodes: s.nodes, seq: s.seq };
}

export const useRunStore = create<RunState>()((set, get) => ({
  ...initial,

  begin: (runId) => {
    if (get().runId === runId) return;
    set({ ...initial, runId });
  },

  loadRun: (run) => {
    const next = reduceSnapshot(dataOf(get()), run, typeof run.seq === 'number' ? run.seq : 0);
    if (next) set(next);
    return next !== null;
  },

  applyEvent: (event) => get().applyEvents([event]) > 0,

  applyEvents: (events) => {
    let state = dataOf(get());
    let applied = 0;
    for (const event of events) {
      const next = reduceRunEvent(state, event);
      if (next) {
        state = next;
        applied += 1;
      }
    }
    if (applied > 0) set(state);
    return applied;
  },

  setConnection: (connection) => set({ connection }),

  clear: () => set({ ...initial }),
}));

export function isTerminal(status: RunStatus | undefined | null): boolean {
  return !!status && TERMINAL_RUN_STATUSES.includes(status);
}

/** The status a canvas node shows: its state in the run on screen, or idle. */
export function useNodeRunStatus(nodeId: string): NodeStatus | 'idle' {
  return useRunStore((s) => s.nodes[nodeId]?.status ?? 'idle');
}

export function useNodeRun(nodeId: string): NodeRunState | undefined {
  return useRunStore((s) => s.nodes[nodeId]);
}

const FINISHED: readonly string[] = ['succeeded', 'skipped'];

/**
 * Why a node is not running, as a small string that stays equal while the
 * answer does (so a node can select it without re-rendering on every event):
 * `U<ids>` — a pending node waits for these unfinished upstream nodes (from live
 * statuses: a snapshot's reason goes stale as events arrive); `T<text>` — the
 * server's reason (or, while waiting, the node's own message); null — running
 * or done.
 */
export function waitKey(
  node: NodeRunState | undefined,
  upstream: readonly string[],
  statuses: Readonly<Record<string, NodeRunState>>,
): string | null {
  if (!node) return null;
  if (node.status === 'pending') {
    const open = upstream.filter((u) => !FINISHED.includes(statuses[u]?.status ?? 'pending'));
    if (open.length > 0) return `U${open.join('\u0000')}`;
    return node.reason ? `T${node.reason}` : null;
  }
  if (node.status === 'waiting') {
    const text = node.message || node.reason;
    return text ? `T${text}` : null;
  }
  if (node.status === 'skipped') return node.reason ? `T${node.reason}` : null;
  return null;
}

export function describeWaitKey(key: string | null, labelOf: (id: string) => string): string | null {
  if (!key) return null;
  if (key.startsWith('T')) return key.slice(1);
  const names = key
    .slice(1)
    .split('\u0000')
    .map((id) => {
      const label = labelOf(id);
      return label && label !== id ? `${label} (${id})` : id;
    });
  return `Waits for ${names.join(', ')}`;
}
