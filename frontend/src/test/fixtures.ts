import type { Graph, NodeType, Role, Run, Team } from '../api/types';

// What /api/me/ answers for each role (recorded from the server; accounts/roles.py decides).
// The editor reads a team's `capabilities` and `key_scopes`, it never derives them from the role.
const GRANTS: Record<Role, Pick<Team, 'capabilities' | 'key_scopes'>> = {
  owner: {
    capabilities: ['api_keys.create', 'credentials.manage', 'credentials.use', 'flows.read', 'flows.write', 'knowledge.write', 'runs.cancel', 'runs.read', 'runs.start', 'team.manage', 'team.read'],
    key_scopes: ['flows:read', 'runs:write', 'flows:write'],
  },
  editor: {
    capabilities: ['api_keys.create', 'credentials.use', 'flows.read', 'flows.write', 'knowledge.write', 'runs.cancel', 'runs.read', 'runs.start', 'team.read'],
    key_scopes: ['flows:read', 'runs:write', 'flows:write'],
  },
  runner: {
    capabilities: ['api_keys.create', 'flows.read', 'runs.cancel', 'runs.read', 'runs.start', 'team.read'],
    key_scopes: ['flows:read', 'runs:write'],
  },
  viewer: {
    capabilities: ['api_keys.create', 'flows.read', 'runs.read', 'team.read'],
    key_scopes: ['flows:read'],
  },
};

/** A team of /api/me/ with what its role there allows, as the server says it. */
export function sampleTeam(team: Pick<Team, 'id' | 'name' | 'role'> & Partial<Team>): Team {
  return {
    personal: false,
    created_at: '2025-01-01T09:00:00Z',
    ...GRANTS[team.role],
    ...team,
  };
}

const settingsSchema = {
  type: 'object',
  properties: {
    retries: { type: 'integer', default: 0, minimum: 0 },
    retry_backoff: { type: 'number', default: 1.0 },
    timeout: { anyOf: [{ type: 'number' }, { type: 'null' }], default: null },
    on_error: { type: 'string', enum: ['fail', 'continue', 'route'], default: 'fail' },
  },
};

function type(partial: Partial<NodeType> & Pick<NodeType, 'type'>): NodeType {
  return {
    version: 1,
    label: partial.type,
    category: 'Core',
    description: '',
    execution: 'inline',
    executable: true,
    cacheable: true,
    inputs: [{ name: 'in', label: 'In', many: false, required: false }],
    outputs: [{ name: 'out', label: 'Out' }],
    dynamic_outputs: null,
    config_schema: { type: 'object', properties: {} },
    config_defaults: {},
    settings_schema: settingsSchema,
    ...partial,
  };
}

export const catalogList: NodeType[] = [
  type({
    type: 'input',
    label: 'Input',
    cacheable: false,
    inputs: [],
    config_schema: { type: 'object', properties: { key: { type: 'string', default: '' } } },
    config_defaults: { key: '' },
  }),
  type({
    type: 'output',
    label: 'Output',
    cacheable: false,
    outputs: [],
    config_schema: { type: 'object', properties: { key: { type: 'string', default: 'result' } } },
    config_defaults: { key: 'result' },
  }),
  type({
    type: 'template',
    label: 'Template',
    config_schema: {
      type: 'object',
      properties: { template: { type: 'string', title: 'Template', default: '' } },
      required: ['template'],
    },
    config_defaults: { template: '' },
  }),
  type({
    type: 'condition',
    label: 'Condition',
    outputs: [
      { name: 'true', label: 'True' },
      { name: 'false', label: 'False' },
    ],
  }),
  type({
    type: 'merge',
    label: 'Merge',
    inputs: [{ name: 'in', label: 'In', many: true, required: true }],
  }),
  type({
    type: 'router',
    label: 'Router',
    category: 'AI',
    outputs: [],
    dynamic_outputs: { from: 'categories', key: 'name', extra: ['other'] },
    config_defaults: { mode: 'keywords', categories: [] },
  }),
  type({
    type: 'note',
    label: 'Note',
    category: 'Annotations',
    executable: false,
    cacheable: false,
    inputs: [],
    outputs: [],
    config_schema: {
      type: 'object',
      properties: { text: { type: 'string', default: '' }, color: { type: 'string', default: 'yellow' } },
    },
    config_defaults: { text: '', color: 'yellow' },
    settings_schema: undefined,
  }),
];

export const catalog: Record<string, NodeType> = Object.fromEntries(catalogList.map((t) => [t.type, t]));

const node = (id: string, t: string, x = 0, y = 0, config: Record<string, unknown> = {}) => ({
  id,
  type: t,
  position: { x, y },
  data: { label: id, config, settings: { on_error: 'fail' as const } },
});

/** input n1 → template n2 → output n3, and a condition n4 on the side. */
export function sampleGraph(): Graph {
  return {
    nodes: [
      node('n1', 'input', 0, 0, { key: 'question' }),
      node('n2', 'template', 250, 0, { template: 'Hi {{ input }}' }),
      node('n3', 'output', 500, 0, { key: 'answer' }),
      node('n4', 'condition', 250, 200),
    ],
    edges: [
      { id: 'e1', source: 'n1', sourceHandle: 'out', target: 'n2', targetHandle: 'in' },
      { id: 'e2', source: 'n2', sourceHandle: 'out', target: 'n3', targetHandle: 'in' },
    ],
  };
}

export function sampleRun(overrides: Partial<Run> = {}): Run {
  return {
    id: 'run-1',
    flow: 3,
    team: 1,
    status: 'running',
    inputs: { question: 'hi' },
    outputs: {},
    error: null,
    trigger: 'editor',
    created_by: 'alice',
    created_at: '2025-01-01T10:00:00Z',
    started_at: '2025-01-01T10:00:00Z',
    finished_at: null,
    duration_ms: null,
    flow_revision: 1,
    version: null,
    usage: null,
    parent_run: null,
    parent_node_id: '',
    parent_key: '',
    waiting_for_slot: false,
    resumed_from: null,
    replay: [],
    graph: sampleGraph(),
    seq: 5,
    nodes: [
      { node_id: 'n1', type: 'input', status: 'succeeded', attempts: 1, output: 'hi', error: null, started_at: null, finished_at: null, duration_ms: 3, reason: null, stream: '' },
      { node_id: 'n2', type: 'template', status: 'running', attempts: 1, output: null, error: null, started_at: null, finished_at: null, duration_ms: null, reason: null, stream: 'Hel' },
      { node_id: 'n3', type: 'output', status: 'pending', attempts: 0, output: null, error: null, started_at: null, finished_at: null, duration_ms: null, reason: 'waits for Template (n2)', stream: '' },
    ],
    ...overrides,
  };
}
