import { describe, expect, it } from 'vitest';
import type { Graph, GraphDiff, GraphEdge, GraphNode } from '../api/types';
import { buildDiffView, describeDiffCounts, summarizeDiff } from './graphDiff';

const node = (id: string, label = '', x = 0): GraphNode => ({ id, type: 'template', position: { x, y: 0 }, data: { label, config: {} } });
const edge = (id: string, source: string, target: string): GraphEdge => ({ id, source, sourceHandle: 'out', target, targetHandle: 'in' });

function emptyDiff(): GraphDiff {
  return {
    from: { version: 1, revision: 1, label: 'version 1' },
    to: { version: null, revision: 2, label: 'draft' },
    nodes: { added: [], removed: [], changed: [], moved: [], unchanged: 0 },
    edges: { added: [], removed: [], changed: [], unchanged: 0 },
    identical: true,
  };
}

// Before: a → b → c. After: a → b' (label changed) → d, c removed, a moved.
const after: Graph = { nodes: [node('a', 'A', 50), node('b', 'B2'), node('d', 'D')], edges: [edge('e1', 'a', 'b'), edge('e3', 'b', 'd')] };
function sampleDiff(): GraphDiff {
  const diff = emptyDiff();
  diff.identical = false;
  diff.nodes.added = [node('d', 'D')];
  diff.nodes.removed = [node('c', 'C')];
  diff.nodes.changed = [{ id: 'b', fields: ['data.label'], before: node('b', 'B'), after: node('b', 'B2') }];
  diff.nodes.moved = ['a'];
  diff.edges.added = [edge('e3', 'b', 'd')];
  diff.edges.removed = [edge('e2', 'b', 'c'), edge('e9', 'gone', 'c')];
  return diff;
}

describe('buildDiffView', () => {
  it('draws the newer graph with removed nodes and edges put back, each marked', () => {
    const view = buildDiffView(sampleDiff(), after);
    expect(view.graph.nodes.map((n) => n.id)).toEqual(['a', 'b', 'd', 'c']);
    expect(view.graph.edges.map((e) => e.id)).toEqual(['e1', 'e3', 'e2']);
    expect(view.nodeMarks).toEqual({ a: 'moved', b: 'changed', d: 'added', c: 'removed' });
    expect(view.edgeMarks).toEqual({ e3: 'added', e2: 'removed' });
  });

  it('leaves out a removed edge whose ends are not on the canvas', () => {
    const view = buildDiffView(sampleDiff(), after);
    expect(view.graph.edges.some((e) => e.id === 'e9')).toBe(false);
    expect(view.edgeMarks.e9).toBeUndefined();
  });

  it('marks nothing when the sides are identical', () => {
    const view = buildDiffView(emptyDiff(), after);
    expect(view.graph).toEqual(after);
    expect(view.nodeMarks).toEqual({});
    expect(view.edgeMarks).toEqual({});
  });
});

describe('summarizeDiff', () => {
  it('lists nodes then edges, added first, with fields in words', () => {
    const entries = summarizeDiff(sampleDiff(), after);
    expect(entries.map((e) => `${e.kind}:${e.id}:${e.mark}`)).toEqual([
      'node:d:added',
      'node:c:removed',
      'node:b:changed',
      'node:a:moved',
      'edge:e3:added',
      'edge:e2:removed',
      'edge:e9:removed',
    ]);
    expect(entries[2]).toMatchObject({ label: 'B2 (b)', fields: ['label'] });
    expect(entries[4].label).toBe('b → d');
    expect(describeDiffCounts(entries)).toBe('2 added, 3 removed, 1 changed, 1 moved');
    expect(describeDiffCounts([])).toBe('no differences');
  });
});
