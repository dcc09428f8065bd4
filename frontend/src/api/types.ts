// The shapes the backend sends and accepts (docs/api-shapes.md).

export type Role = 'owner' | 'editor' | 'runner' | 'viewer';

export interface Team {
  id: number;
  name: string;
  role: Role;
  personal: boolean;
}

export interface Me {
  id: number;
  username: string;
  teams: Team[];
}

// ---- Graph -----------------------------------------------------------------

export type OnError = 'fail' | 'continue' | 'route';

export interface NodeSettings {
  retries?: number;
  retry_backoff?: number;
  timeout?: number | null;
  on_error?: OnError;
  [key: string]: unknown;
}

export interface GraphNodeData {
  label: string;
  config: Record<string, unknown>;
  settings?: NodeSettings;
  [key: string]: unknown;
}

export interface GraphNode {
  id: string;
  type: string;
  position: { x: number; y: number };
  data: GraphNodeData;
  /** Only sticky notes carry a size (React Flow's own node fields). */
  width?: number;
  height?: number;
}

export interface GraphEdge {
  id: string;
  source: string;
  sourceHandle: string;
  target: string;
  targetHandle: string;
}

export interface Graph {
  nodes: GraphNode[];
  edges: GraphEdge[];
}

// ---- Node types ------------------------------------------------------------

export interface InputHandle {
  name: string;
  label?: string;
  many?: boolean;
  required?: boolean;
}

export interface OutputHandle {
  name: string;
  label?: string;
}

export interface DynamicOutputs {
  from: string;
  key: string;
  extra?: string[];
}

export type JsonSchema = Record<string, unknown>;

export interface NodeType {
  type: string;
  version?: number;
  label: string;
  category: string;
  description?: string;
  execution?: 'inline' | 'queued';
  executable: boolean;
  inputs: InputHandle[];
  outputs: OutputHandle[];
  dynamic_outputs?: DynamicOutputs | null;
  config_schema?: JsonSchema;
  config_defaults?: Record<string, unknown>;
  settings_schema?: JsonSchema;
}

// ---- Flows -----------------------------------------------------------------

export interface FlowSummary {
  id: number;
  team: number;
  name: string;
  description: string;
  revision: number;
  node_count?: number;
  /** The number of the newest published version; null while none is. */
  latest_version?: number | null;
  created_by?: string | null;
  updated_by?: string | null;
  created_at?: string;
  updated_at?: string;
}

export interface Flow extends FlowSummary {
  graph: Graph;
}

/** What export writes and import reads. */
export interface FlowFile {
  name: string;
  description?: string;
  graph: Graph;
}

export interface GraphProblem {
  node_id?: string;
  edge_id?: string;
  message: string;
}

export interface ValidationResult {
  valid: boolean;
  errors: GraphProblem[];
}

export interface Page<T> {
  count: number;
  next: string | null;
  previous: string | null;
  results: T[];
}

// ---- Runs ------------------------------------------------------------------

export type RunStatus = 'pending' | 'running' | 'waiting' | 'succeeded' | 'failed' | 'cancelled';

export type NodeStatus =
  | 'pending'
  | 'queued'
  | 'running'
  | 'succeeded'
  | 'failed'
  | 'skipped'
  | 'cancelled'
  | 'waiting';

export const TERMINAL_RUN_STATUSES: readonly RunStatus[] = ['succeeded', 'failed', 'cancelled'];

export interface RunError {
  message: string;
  node_id?: string;
  type?: string;
  [key: string]: unknown;
}

export interface NodeRun {
  node_id: string;
  type: string;
  status: NodeStatus;
  attempts: number;
  output: unknown;
  error: RunError | null;
  started_at: string | null;
  finished_at: string | null;
  duration_ms: number | null;
  reason?: string | null;
  /** What the node says about itself while it waits (a delay's "waiting 2 s"). */
  message?: string | null;
  stream?: string | null;
  usage?: Usage | null;
  /** What a node keeps beside its output (an approval's decision, a sub-flow's child run ids...). */
  details?: Record<string, unknown> | null;
}

export interface Usage {
  input_tokens?: number;
  output_tokens?: number;
  cost_usd?: number;
}

/** A run started by a node of another run (a sub-flow, a map item, an agent's flow tool). */
export interface ChildRun {
  id: string;
  flow: number;
  status: RunStatus;
  parent_node_id: string;
  /** A map item's index, an agent's tool-call id; "" for a sub-flow. */
  parent_key: string;
  error: RunError | null;
  usage: Usage | null;
  created_at: string;
  started_at: string | null;
  finished_at: string | null;
  duration_ms: number | null;
}

export interface RunSummary {
  id: string;
  flow: number;
  team: number;
  status: RunStatus;
  inputs: Record<string, unknown>;
  outputs: Record<string, unknown>;
  error: RunError | null;
  trigger: string;
  created_by: string | null;
  created_at: string;
  started_at: string | null;
  finished_at: string | null;
  duration_ms: number | null;
  /** The published version that ran; null: the draft. */
  version?: number | null;
  usage?: Usage | null;
  parent_run?: string | null;
  parent_node_id?: string;
  parent_key?: string;
  /** Pending because the team's cap on active runs holds it. */
  waiting_for_slot?: boolean;
  /** Runs its nodes started (only on GET /api/runs/<id>/ and snapshots). */
  children?: ChildRun[];
}

export interface Run extends RunSummary {
  graph: Graph;
  seq: number;
  nodes: NodeRun[];
}

// ---- Websocket events (/ws/runs/<id>/) ---------------------------------------

export interface RunSnapshotEvent {
  type: 'run.snapshot';
  seq: number;
  run: Run;
}

export interface RunStatusEvent {
  type: 'run.status';
  seq: number;
  run_id: string;
  status: RunStatus;
  error: RunError | null;
  finished_at: string | null;
  outputs?: Record<string, unknown>;
  started_at?: string | null;
  duration_ms?: number | null;
  usage?: Usage | null;
}

export interface NodeStatusEvent {
  type: 'node.status';
  seq: number;
  run_id: string;
  node_id: string;
  status: NodeStatus;
  attempts: number;
  error: RunError | null;
  started_at: string | null;
  finished_at: string | null;
  duration_ms: number | null;
  reason?: string | null;
  message?: string | null;
}

export interface NodeDeltaEvent {
  type: 'node.delta';
  seq: number;
  run_id: string;
  node_id: string;
  text: string;
}

export interface NodeOutputEvent {
  type: 'node.output';
  seq: number;
  run_id: string;
  node_id: string;
  output: unknown;
  truncated: boolean;
}

export type RunEvent =
  | RunSnapshotEvent
  | RunStatusEvent
  | NodeStatusEvent
  | NodeDeltaEvent
  | NodeOutputEvent;

// ---- Teams, members, keys, credentials, knowledge (issues 4 and 5) ------------------

export interface TeamSummary extends Team {
  created_at: string;
}

export interface TeamDetail extends TeamSummary {
  /** Runs of the team's flows in progress at once; 0 means no cap. */
  max_active_runs: number;
  member_count: number;
}

export interface Member {
  username: string;
  role: Role;
  id?: number;
  joined_at?: string;
  personal_owner?: boolean;
}

export type ApiScope = 'runs:write' | 'flows:read' | 'flows:write';
export const API_SCOPES: readonly ApiScope[] = ['flows:read', 'runs:write', 'flows:write'];

export type ApiKeyState = 'active' | 'expired' | 'revoked';

export interface ApiKey {
  id: number;
  name: string;
  prefix: string;
  /** null: a key that acts in every team of its user (made outside the site). */
  team: number | null;
  user: string;
  scopes: ApiScope[];
  /** Flow ids the key is limited to; empty: every flow of the team. */
  flows: number[];
  expires_at: string | null;
  last_used_at: string | null;
  revoked_at: string | null;
  created_at: string;
  state: ApiKeyState;
}

export interface NewApiKey extends ApiKey {
  /** The secret: in the answer to the POST that created it, and nowhere else. */
  key: string;
}

export type CredentialProvider = 'openai' | 'anthropic';
export type CredentialField = 'api_key' | 'base_url';

export interface Credential {
  id: number;
  team: number;
  name: string;
  provider: CredentialProvider;
  /** Which data fields are set; their values are never answered. */
  fields: CredentialField[];
  created_by: string | null;
  created_at: string;
  updated_at: string;
}

export interface KnowledgeBaseEmbedding {
  credential: number;
  model: string;
}

export interface KnowledgeBase {
  id: number;
  team: number;
  name: string;
  description: string;
  embedding: KnowledgeBaseEmbedding | null;
  document_count: number | null;
  created_by: string | null;
  created_at: string;
  updated_at: string;
}

export type DocumentStatus = 'processing' | 'ready' | 'embedding' | 'failed';

export interface KnowledgeDocument {
  id: number;
  knowledge_base: number;
  name: string;
  content_type: string;
  size: number;
  status: DocumentStatus;
  error: string;
  chunk_count: number;
  created_by: string | null;
  created_at: string;
}
