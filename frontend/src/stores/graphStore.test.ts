import type { NodeChange } from '@xyflow/react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { copySelection } from '../lib/clipboard';
import type { FlowNode } from '../lib/graph';
import { catalog, sampleGraph } from '../test/fixtures';
import { selectBlockingProblems, selectCanUndo, selectDirty, useGraphStore } from './graphStore';

const store = () => useGraphStore.getState();
const pos = (id: string) => store().nodes.find((n) => n.id === id)!.position;
const move = (id: string, x: number, y: number, dragging?: boolean): NodeChange<FlowNode> => ({
  type: 'position',
  id,
  position: { x, y },
  dragging,
});

beforeEach(() => {
  vi.useFakeTimers();
  vi.setSystemTime(new Date('2025-01-01T00:00:00Z'));
  store().load(sampleGraph());
});
afterEach(() => vi.useRealTimers());

describe('graph store: history', () => {
  it('starts clean with nothing to undo', () => {
    expect(selectDirty(store())).toBe(false);
    expect(selectCanUndo(store())).toBe(false);
  });

  it('makes one undo step per drag, however many pixels it moved', () => {
    store().onNodesChange([move('n1', 1, 1, true)]);
    for (let i = 2; i < 60; i++) store().onNodesChange([move('n1', i, i, true)]);
    store().onNodesChange([move('n1', 60, 60, false)]);
    expect(pos('n1')).toEqual({ x: 60, y: 60 });
    expect(store().history.past).toHaveLength(1);
    expect(selectDirty(store())).toBe(true);

    store().undo();
    expect(pos('n1')).toEqual({ x: 0, y: 0 });
    expect(selectDirty(store())).toBe(false);
    store().redo();
    expect(pos('n1')).toEqual({ x: 60, y: 60 });
  });

  it('makes two steps for two drags, even back to back', () => {
    store().onNodesChange([move('n1', 5, 5, true)]);
    store().onNodesChange([move('n1', 10, 10, false)]);
    store().onNodesChange([move('n1', 15, 15, true)]);
    store().onNodesChange([move('n1', 20, 20, false)]);
    expect(store().history.past).toHaveLength(2);
    store().undo();
    expect(pos('n1')).toEqual({ x: 10, y: 10 });
  });

  it('does not count selection or measurement as edits', () => {
    store().onNodesChange([{ type: 'select', id: 'n1', selected: true }]);
    store().onNodesChange([{ type: 'dimensions', id: 'n1', dimensions: { width: 200, height: 80 } }]);
    expect(selectDirty(store())).toBe(false);
    expect(store().history.past).toHaveLength(0);
  });

  it('records measured sizes on the nodes it has, without a new drawing (React Flow would draw every node again)', () => {
    const before = store().nodes;
    const listener = vi.fn();
    const unsubscribe = useGraphStore.subscribe(listener);
    store().onNodesChange([
      { type: 'dimensions', id: 'n1', dimensions: { width: 220, height: 93 } },
      { type: 'dimensions', id: 'n2', dimensions: { width: 220, height: 111 } },
    ]);
    unsubscribe();
    expect(listener).not.toHaveBeenCalled();
    expect(store().nodes).toBe(before);
    expect(before.find((n) => n.id === 'n2')!.measured).toEqual({ width: 220, height: 111 });
    // Later changes keep them.
    store().onNodesChange([move('n2', 5, 5)]);
    expect(store().nodes.find((n) => n.id === 'n2')!.measured).toEqual({ width: 220, height: 111 });
  });

  it('still takes a resize as an edit', () => {
    store().onNodesChange([{ type: 'dimensions', id: 'n1', dimensions: { width: 300, height: 200 }, resizing: true, setAttributes: true }]);
    store().onNodesChange([{ type: 'dimensions', id: 'n1', dimensions: { width: 320, height: 200 }, resizing: false, setAttributes: true }]);
    expect(store().nodes.find((n) => n.id === 'n1')!.width).toBe(320);
    expect(store().history.past).toHaveLength(1);
    expect(selectDirty(store())).toBe(true);
  });

  it('coalesces config typing into one step, and a pause starts another', () => {
    store().updateNodeData('n2', { config: { template: 'H' } }, 'config:n2');
    vi.advanceTimersByTime(200);
    store().updateNodeData('n2', { config: { template: 'He' } }, 'config:n2');
    vi.advanceTimersByTime(200);
    store().updateNodeData('n2', { config: { template: 'Hey' } }, 'config:n2');
    expect(store().history.past).toHaveLength(1);
    vi.advanceTimersByTime(5000);
    store().updateNodeData('n2', { config: { template: 'Hey!' } }, 'config:n2');
    expect(store().history.past).toHaveLength(2);
    store().undo();
    expect(store().nodes.find((n) => n.id === 'n2')!.data.config).toEqual({ template: 'Hey' });
    store().undo();
    expect(store().nodes.find((n) => n.id === 'n2')!.data.config).toEqual({ template: 'Hi {{ input }}' });
  });

  it('undoes a label edit separately from a config edit', () => {
    store().updateNodeData('n2', { label: 'Greeting' }, 'label:n2');
    store().updateNodeData('n2', { config: { template: 'x' } }, 'config:n2');
    store().undo();
    const n2 = store().nodes.find((n) => n.id === 'n2')!;
    expect(n2.data.label).toBe('Greeting');
    expect(n2.data.config).toEqual({ template: 'Hi {{ input }}' });
  });

  it('treats a node replacing its own data (a note being typed in) as a coalesced edit', () => {
    const n2 = store().nodes.find((n) => n.id === 'n2')!;
    store().onNodesChange([{ type: 'replace', id: 'n2', item: { ...n2, data: { ...n2.data, label: 'a' } } }]);
    store().onNodesChange([{ type: 'replace', id: 'n2', item: { ...n2, data: { ...n2.data, label: 'ab' } } }]);
    expect(store().history.past).toHaveLength(1);
  });

  it('undoes a connection, a deletion and a layout each in one step', () => {
    const check = store().connect({ source: 'n2', sourceHandle: 'out', target: 'n4', targetHandle: 'in' }, catalog);
    expect(check.ok).toBe(true);
    expect(store().edges).toHaveLength(3);

    store().selectOnly(['n2']);
    expect(store().deleteSelected()).toBe(true);
    expect(store().nodes.map((n) => n.id)).toEqual(['n1', 'n3', 'n4']);
    expect(store().edges).toHaveLength(0); // every edge touched n2

    store().applyPositions(new Map([['n1', { x: 99, y: 99 }]]));
    expect(pos('n1')).toEqual({ x: 99, y: 99 });

    store().undo();
    expect(pos('n1')).toEqual({ x: 0, y: 0 });
    store().undo();
    expect(store().nodes).toHaveLength(4);
    expect(store().edges).toHaveLength(3);
    store().undo();
    expect(store().edges).toHaveLength(2);
    expect(selectDirty(store())).toBe(false);
  });

  it('refuses what validation would refuse and leaves history alone', () => {
    const check = store().connect({ source: 'n4', sourceHandle: 'true', target: 'n3', targetHandle: 'in' }, catalog);
    expect(check.ok).toBe(false);
    expect(store().history.past).toHaveLength(0);
  });

  it('turns on error routing when an edge leaves the error handle, undoably', () => {
    const check = store().connect({ source: 'n2', sourceHandle: 'error', target: 'n4', targetHandle: 'in' }, catalog);
    expect(check).toEqual({ ok: true, fromErrorHandle: true });
    expect(store().nodes.find((n) => n.id === 'n2')!.data.settings?.on_error).toBe('route');
    store().undo();
    expect(store().nodes.find((n) => n.id === 'n2')!.data.settings?.on_error).toBe('fail');
  });

  it('pastes with fresh ids as one step, selecting what it pasted', () => {
    store().selectOnly(['n1', 'n2']);
    const payload = copySelection(store().nodes, store().edges)!;
    const added = store().paste(payload);
    expect(added.map((n) => n.id)).toEqual(['n5', 'n6']);
    expect(store().nodes.filter((n) => n.selected).map((n) => n.id)).toEqual(['n5', 'n6']);
    expect(store().edges.some((e) => e.source === 'n5' && e.target === 'n6')).toBe(true);
    store().undo();
    expect(store().nodes).toHaveLength(4);
  });

  it('marks saved at a revision: edits after it stay dirty', () => {
    store().updateNodeData('n2', { label: 'x' }, null);
    const rev = store().rev;
    store().updateNodeData('n2', { label: 'y' }, null);
    store().markSaved(rev);
    expect(selectDirty(store())).toBe(true);
    store().undo();
    expect(selectDirty(store())).toBe(false);
  });

  it('takes only selection when read-only', () => {
    store().load(sampleGraph(), { readOnly: true });
    store().onNodesChange([move('n1', 50, 50, true)]);
    store().onNodesChange([{ type: 'select', id: 'n1', selected: true }]);
    expect(pos('n1')).toEqual({ x: 0, y: 0 });
    expect(store().nodes.find((n) => n.id === 'n1')!.selected).toBe(true);
    expect(store().deleteSelected()).toBe(false);
    expect(selectDirty(store())).toBe(false);
  });

  it('groups server problems by node and edge', () => {
    store().setProblems([
      { node_id: 'n2', message: 'bad template' },
      { node_id: 'n2', message: 'also this' },
      { edge_id: 'e1', message: 'unknown handle' },
      { message: 'flow-wide' },
    ]);
    expect(store().problemsByNode).toEqual({ n2: ['bad template', 'also this'] });
    expect(store().problemsByEdge).toEqual({ e1: ['unknown handle'] });
    expect(store().problems).toHaveLength(4);
  });

  it('counts the problems that block running only while the drawing is the saved draft', () => {
    store().setProblems([{ node_id: 'n2', message: 'config.url: missing' }]);
    expect(selectBlockingProblems(store())).toBe(1);
    // Edited since: the server checks the drawing again when it is run or saved.
    store().updateNodeData('n2', { label: 'Fixed?' });
    expect(selectBlockingProblems(store())).toBe(0);
    store().undo();
    expect(selectBlockingProblems(store())).toBe(1);
    store().setProblems([]);
    expect(selectBlockingProblems(store())).toBe(0);
  });

  it('serialises to the graph format without view state', () => {
    store().selectOnly(['n1']);
    const graph = store().graph();
    expect(graph.nodes[0]).toEqual({
      id: 'n1',
      type: 'input',
      position: { x: 0, y: 0 },
      data: { label: 'n1', config: { key: 'question' }, settings: { on_error: 'fail' } },
    });
    expect(graph.edges[0]).toEqual({ id: 'e1', source: 'n1', sourceHandle: 'out', target: 'n2', targetHandle: 'in' });
  });
});

describe('previews and restores', () => {
  const draft = {
    nodes: [{ id: 'a', type: 'template', position: { x: 0, y: 0 }, data: { label: 'A', config: {} } }],
    edges: [],
  };
  const other = {
    nodes: [
      { id: 'a', type: 'template', position: { x: 0, y: 0 }, data: { label: 'A2', config: {} } },
      { id: 'b', type: 'template', position: { x: 100, y: 0 }, data: { label: 'B', config: {} } },
    ],
    edges: [{ id: 'e', source: 'a', sourceHandle: 'out', target: 'b', targetHandle: 'in' }],
  };

  it('shows another graph read-only, marked, and gives the draft back with its unsaved edits', () => {
    const store = useGraphStore.getState();
    store.load(draft);
    store.updateNodeData('a', { label: 'edited' });
    expect(selectDirty(useGraphStore.getState())).toBe(true);
    useGraphStore.getState().enterPreview(other, { label: 'Version 2', nodeMarks: { b: 'added', a: 'changed' }, edgeMarks: { e: 'added' } });
    let s = useGraphStore.getState();
    expect(s.readOnly).toBe(true);
    expect(s.preview?.label).toBe('Version 2');
    expect(s.nodes.find((n) => n.id === 'b')).toMatchObject({ className: 'diff diff--added', domAttributes: { 'data-diff': 'added' } });
    expect(s.edges[0].className).toBe('diff diff--added');
    // Still dirty: the draft's edits wait in the stash.
    expect(selectDirty(s)).toBe(true);
    s.updateNodeData('b', { label: 'nope' });
    expect(useGraphStore.getState().nodes.find((n) => n.id === 'b')!.data.label).toBe('B');
    useGraphStore.getState().exitPreview();
    s = useGraphStore.getState();
    expect(s.preview).toBeNull();
    expect(s.readOnly).toBe(false);
    expect(s.nodes.map((n) => n.data.label)).toEqual(['edited']);
    expect(selectDirty(s)).toBe(true);
    s.undo();
    expect(useGraphStore.getState().nodes[0].data.label).toBe('A');
  });

  it('replaces the draft with a restored graph as one undo step, saved', () => {
    useGraphStore.getState().load(draft);
    useGraphStore.getState().replaceSaved(other);
    let s = useGraphStore.getState();
    expect(s.nodes.map((n) => n.id)).toEqual(['a', 'b']);
    expect(selectDirty(s)).toBe(false);
    s.undo();
    s = useGraphStore.getState();
    expect(s.nodes.map((n) => n.id)).toEqual(['a']);
    expect(selectDirty(s)).toBe(true);
  });
});
