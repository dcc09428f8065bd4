import { describe, expect, it } from 'vitest';
import { catalog, sampleGraph } from '../test/fixtures';
import { checkConnection, wouldCreateCycle } from './connection';
import { fromGraph, type FlowEdge, type FlowNode } from './graph';

function setup(extraNodes: Parameters<typeof fromGraph>[0] = { nodes: [], edges: [] }) {
  const base = sampleGraph();
  const { nodes, edges } = fromGraph({
    nodes: [...base.nodes, ...extraNodes!.nodes],
    edges: [...base.edges, ...extraNodes!.edges],
  });
  const byId = new Map(nodes.map((n) => [n.id, n]));
  const check = (source: string, sourceHandle: string, target: string, targetHandle: string, e: FlowEdge[] = edges) =>
    checkConnection({ source, sourceHandle, target, targetHandle }, (id) => byId.get(id), e, catalog);
  return { nodes, edges, check };
}

const merge = (id: string) => ({ id, type: 'merge', position: { x: 0, y: 0 }, data: { label: id, config: {} } });
const router = (id: string, categories: unknown[]) => ({
  id,
  type: 'router',
  position: { x: 0, y: 0 },
  data: { label: id, config: { categories } },
});

describe('connection rules', () => {
  it('accepts an ordinary edge from an output to a free input', () => {
    const { check } = setup();
    expect(check('n2', 'out', 'n4', 'in')).toEqual({ ok: true, fromErrorHandle: false });
  });

  it('refuses a handle the source type does not have', () => {
    const { check } = setup();
    const result = check('n2', 'nope', 'n4', 'in');
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.reason).toMatch(/no output "nope"/);
  });

  it('refuses a target handle the target type does not have', () => {
    const { check } = setup();
    const result = check('n2', 'out', 'n4', 'other');
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.reason).toMatch(/no input "other"/);
  });

  it('refuses an edge into an input node, which has no inputs', () => {
    const { check } = setup();
    expect(check('n2', 'out', 'n1', 'in').ok).toBe(false);
  });

  it('refuses a second edge into a single-valued input', () => {
    const { check } = setup();
    // n3.in already has n2 → n3
    const result = check('n4', 'true', 'n3', 'in');
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.reason).toMatch(/takes one edge/);
  });

  it('accepts many edges into a `many` input', () => {
    const { check, edges } = setup({ nodes: [merge('m1')], edges: [] });
    const first: FlowEdge = { id: 'x1', source: 'n2', sourceHandle: 'out', target: 'm1', targetHandle: 'in' };
    expect(check('n4', 'true', 'm1', 'in', [...edges, first]).ok).toBe(true);
  });

  it('refuses the same edge twice', () => {
    const { check } = setup();
    const result = check('n1', 'out', 'n2', 'in');
    expect(result.ok).toBe(false);
  });

  it('refuses an edge that closes a cycle', () => {
    const { check, edges } = setup();
    // n1 → n2 → n3; let n3 be a template-like node with an output: use n2 → n4 → n2
    const withEdge: FlowEdge[] = [...edges, { id: 'x', source: 'n2', sourceHandle: 'out', target: 'n4', targetHandle: 'in' }];
    // n4 → n2 would be a cycle (n2 → n4 exists). n2.in is taken too, so free it first.
    const freed = withEdge.filter((e) => e.id !== 'e1');
    const result = check('n4', 'true', 'n2', 'in', freed);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.reason).toMatch(/cycle/);
  });

  it('refuses a self loop', () => {
    const { check } = setup();
    expect(check('n4', 'true', 'n4', 'in').ok).toBe(false);
  });

  it('allows an edge from the error handle and says so', () => {
    const { check } = setup();
    expect(check('n2', 'error', 'n4', 'in')).toEqual({ ok: true, fromErrorHandle: true });
  });

  it('knows the dynamic outputs of a router', () => {
    const { check } = setup({ nodes: [router('r1', [{ name: 'billing' }, { name: 'tech' }])], edges: [] });
    expect(check('r1', 'billing', 'n4', 'in').ok).toBe(true);
    expect(check('r1', 'other', 'n4', 'in').ok).toBe(true);
    expect(check('r1', 'sales', 'n4', 'in').ok).toBe(false);
  });

  it('refuses everything to and from a sticky note', () => {
    const note = { id: 'note1', type: 'note', position: { x: 0, y: 0 }, data: { label: '', config: { text: 'x' } } };
    const { check } = setup({ nodes: [note], edges: [] });
    expect(check('note1', 'out', 'n4', 'in').ok).toBe(false);
    expect(check('n2', 'out', 'note1', 'in').ok).toBe(false);
  });
});

describe('wouldCreateCycle', () => {
  const e = (source: string, target: string): FlowEdge => ({ id: `${source}-${target}`, source, target });
  it('finds long loops', () => {
    const edges = [e('a', 'b'), e('b', 'c'), e('c', 'd')];
    expect(wouldCreateCycle('d', 'a', edges)).toBe(true);
    expect(wouldCreateCycle('a', 'd', edges)).toBe(false);
  });
  it('is fast enough on a long chain', () => {
    const edges = Array.from({ length: 2000 }, (_, i) => e(`n${i}`, `n${i + 1}`));
    const t = performance.now();
    expect(wouldCreateCycle('n2000', 'n0', edges)).toBe(true);
    expect(performance.now() - t).toBeLessThan(100);
  });
});

// Silence "unused" for the type-only helper import in some editors.
export type _Unused = FlowNode;
