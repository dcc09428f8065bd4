// The shapes the backend sends and accepts, by the names the code uses.
//
// Most are aliases over `schema.d.ts`, which is generated from the backend's OpenAPI schema
// (`npm run api-types`; `npm test` fails while it is stale). Two adjustments, both here:
// - An answer carries every field its serializer has, but the schema marks fields the
//   client may leave out *when writing* as optional in the answers too: `Answer<>` makes
//   them required again.
// - JSON fields (a flow's graph, a run's inputs and error...) are open objects in the
//   schema (`unknown`): their shapes are given below by hand, from docs/api-shapes.md.
// Shapes with no schema counterpart at all (the graph, a run's node states, websocket
// events, the pagination envelope) are written by hand at the end, each saying why.
import type { components } from './schema';

type Schemas = components['schemas'];

/**
 * An answer of the API: every field present (see above). `readOnly` in the schema means
 * "set by the server", not "immutable here": the stores update answers they hold.
 */
type Answer<T> = { -readonly [K in keyof T]-?: Exclude<T[K], undefined> };

/** `T` with some fields' types replaced (the JSON fields the schema leaves open). */
type With<T, Fields> = Omit<T, keyof Fields> & Fields;

// ---- Session, teams, members -------------------------------------------------

export type Role = Schemas['RoleEnum'];
export type ApiScope = Schemas['ScopesEnum'];

/** A team of /api/me/ and /api/teams/: your role there, what it lets you do, and the key scopes it allows. */
export type Team = With<
  Answer<Schemas['Team']>,
  {
    /** Your role (the schema types it as text; /api/me/ lists only teams you are in). */
    role: Role;
    /** In the API's order, the scopes an API key you make here may carry. */
    key_scopes: ApiScope[];
  }
>;

export type Me = With<Answer<Schemas['Me']>, { teams: Team[] }>;

export type TeamSummary = Team;

export type TeamDetail = With<Answer<Schemas['TeamDetail']>, { role: Role; key_scopes: ApiScope[] }>;

export type Member = Answer<Schemas['Member']>;

// ---- Node types ---------------------------------------------------------------

export type JsonSchema = Record<string, unknown>;

export type InputHandle = Schemas['Handle'];
export type OutputHandle = Pick<Schemas['Handle'], 'name' | 'label'>;

/** Outputs named by a config list (a router's categories); the catalog's JSON, not in the schema. */
export interface DynamicOutputs {
  from: string;
  key: string;
  extra?: string[];
}

export type NodeType = With<
  Schemas['NodeType'],
  {
    /** Outputs carry a name and a label; `many` and `required` mean something for inputs only. */
    outputs: OutputHandle[];
    dynamic_outputs?: DynamicOutputs | null;
    config_schema?: JsonSchema;
    config_defaults?: Record<string, unknown>;
    /** None for node types without run settings (sticky notes). */
    settings_schema?: JsonSchema;
  }
>;

// ---- Flows ----------------------------------------------------------------------

/** A flow as lists give it: without its graph. */
export type FlowSummary = Answer<Schemas['FlowList']>;

export type Flow = With<Answer<Schemas['Flow']>, { graph: Graph }>;

export type NewFlow = With<Schemas['FlowRequest'], { graph?: Graph }>;

export type GraphProblem = Schemas['GraphError'];
export type ValidationResult = Schemas['ValidationResult'];

/** What export writes and import reads (a file, not an API shape). */
export interface FlowFile {
  name: string;
  description?: string;
  graph: Graph;
}

// ---- Versions -------------------------------------------------------------------

export type FlowVersionSummary = Answer<Schemas['FlowVersionList']>;
export type FlowVersion = With<Answer<Schemas['FlowVersion']>, { graph: Graph }>;

/** A side of a comparison: a version number, or the saved draft (a URL part). */
export type VersionRef = number | 'draft';

export type DiffSide = Schemas['DiffSide'];

export type ItemChange<T> = With<
  Schemas['Change'],
  {
    /** Dotted names of what differs: `type`, `data.config`, `data.label`, ... */
    fields: string[];
    before: T;
    after: T;
  }
>;

export type GraphDiff = With<
  Schemas['GraphDiff'],
  {
    nodes: With<Schemas['NodesDiff'], { added: GraphNode[]; removed: GraphNode[]; changed: ItemChange<GraphNode>[] }>;
    edges: With<Schemas['EdgesDiff'], { added: GraphEdge[]; removed: GraphEdge[]; changed: ItemChange<GraphEdge>[] }>;
  }
>;

// ---- Runs -------------------------------------------------------------------------

export type RunStatus = Schemas['RunStatusEnum'];

export const TERMINAL_RUN_STATUSES: readonly RunStatus[] = ['succeeded', 'failed', 'cancelled'];

/** The JSON fields of a run, open objects in the schema. */
interface RunJson {
  inputs: Record<string, unknown>;
  outputs: Record<string, unknown>;
  error: RunError | null;
  usage: Usage | null;
}

/** A run as lists give it. */
export type RunSummary = With<Answer<Schemas['Run']>, RunJson> & {
  /** Runs its nodes started (only on GET /api/runs/<id>/ and snapshots). */
  children?: ChildRun[];
};

/** A run with its graph and every node's state (GET /api/runs/<id>/, snapshots). */
export type Run = With<
  Answer<Schemas['RunDetail']>,
  RunJson & { graph: Graph; nodes: NodeRun[]; children?: ChildRun[] }
>;

// ---- Keys, triggers, schedules, credentials, knowledge ------------------------------

export const API_SCOPES: readonly ApiScope[] = ['flows:read', 'runs:write', 'flows:write'];

export type ApiKeyState = 'active' | 'expired' | 'revoked';

export type ApiKey = With<Answer<Schemas['ApiKey']>, { state: ApiKeyState }>;
/** The answer to the POST that made the key: `key`, the secret, is in it and nowhere else. */
export type NewApiKey = With<Answer<Schemas['NewApiKey']>, { state: ApiKeyState }>;
export type NewApiKeyRequest = Schemas['ApiKeyCreateRequest'];
export type ApiKeyPatch = Schemas['PatchedApiKeyUpdateRequest'];

export type TriggerUrl = With<Answer<Schemas['Trigger']>, { state: 'active' | 'revoked' }>;
/** The answer to the POST that made it: the secret `token` and `url`, shown this once. */
export type NewTriggerUrl = With<Answer<Schemas['NewTrigger']>, { state: 'active' | 'revoked' }>;

export type Schedule = With<Answer<Schemas['Schedule']>, { inputs: Record<string, unknown> }>;
export type ScheduleInput = With<Schemas['PatchedScheduleRequest'], { inputs?: Record<string, unknown> }>;

export type CredentialProvider = Schemas['ProviderEnum'];
export type CredentialField = 'api_key' | 'base_url';

export type Credential = With<
  Answer<Schemas['Credential']>,
  {
    /** Which data fields are set; their values are never answered. */
    fields: CredentialField[];
  }
>;

/** Values to store; on PATCH null removes a field and a field left out stays. */
export type CredentialData = Partial<Record<CredentialField, string | null>>;

export type NewCredential = With<Schemas['CredentialRequest'], { team: number; data: CredentialData }>;
export type CredentialPatch = With<Schemas['PatchedCredentialRequest'], { data?: CredentialData }>;

/** A knowledge base's embedding setting (a JSON field). */
export interface KnowledgeBaseEmbedding {
  credential: number;
  model: string;
}

export type KnowledgeBase = With<Answer<Schemas['KnowledgeBase']>, { embedding: KnowledgeBaseEmbedding | null }>;
export type NewKnowledgeBase = With<Schemas['KnowledgeBaseRequest'], { team: number; embedding: KnowledgeBaseEmbedding | null }>;

export type DocumentStatus = Schemas['DocumentStatusEnum'];
export type KnowledgeDocument = Answer<Schemas['Document']>;

// ---- Written by hand: no schema counterpart ----------------------------------------

// The graph is a JSON field (`graph: {}` in the schema); its shape is docs/api-shapes.md,
// checked on the server by flows/graph validation.

export type OnError = 'fail' | 'continue' | 'route';

/** settings.cache: keep outputs `ttl` seconds and answer the same request from them. */
export interface NodeCacheSettings {
  ttl: number;
}

export interface NodeSettings {
  retries?: number;
  retry_backoff?: number;
  timeout?: number | null;
  on_error?: OnError;
  cache?: NodeCacheSettings | null;
  [key: string]: unknown;
}

/** An output a run uses instead of executing the node (part of the draft). */
export interface NodePin {
  output: unknown;
}

export interface GraphNodeData {
  label: string;
  config: Record<string, unknown>;
  settings?: NodeSettings;
  pinned?: NodePin;
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

// A run's node states, errors and usage are JSON the schema leaves open (`nodes: object[]`).

export type NodeStatus =
  | 'pending'
  | 'queued'
  | 'running'
  | 'succeeded'
  | 'failed'
  | 'skipped'
  | 'cancelled'
  | 'waiting';

export interface RunError {
  message: string;
  node_id?: string;
  type?: string;
  [key: string]: unknown;
}

export interface Usage {
  input_tokens?: number;
  output_tokens?: number;
  cost_usd?: number;
  /** A cached node run: it spent nothing; `saved` is what its first execution cost. */
  cached?: boolean;
  saved?: { input_tokens?: number; output_tokens?: number; cost_usd?: number };
  /** A run's total of what its cached nodes saved. */
  saved_input_tokens?: number;
  saved_output_tokens?: number;
  saved_cost_usd?: number;
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
  /** Not executed: its output was pinned, reused from `source_run`, or cached (first computed in `source_run`). */
  source?: NodeSource | null;
  source_run?: string | null;
}

/** replayed: executed, every request answered from the recording of `source_run`. */
export type NodeSource = 'pinned' | 'reused' | 'cached' | 'replayed';

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

/** DRF's pagination envelope, generic here; the schema spells one out per list. */
export interface Page<T> {
  count: number;
  next: string | null;
  previous: string | null;
  results: T[];
}

// Websocket events (/ws/runs/<id>/): OpenAPI describes HTTP only. Their shapes are
// docs/api-shapes.md ("Live runs") and runs/consumers.py.

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
  source?: NodeSource | null;
  source_run?: string | null;
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
