import { describe, expect, it } from 'vitest';
import { sampleGraph } from '../test/fixtures';
import { copySelection, materializePaste, parseClipboard, serializeClipboard } from './clipboard';
import { fromGraph } from './graph';

function selected(ids: string[]) {
  const { nodes, edges } = fromGraph(sampleGraph());
  return { nodes: nodes.map((n) => ({ ...n, selected: ids.includes(n.id) })), edges };
}

describe('clipboard', () => {
  it('copies the selected nodes and only the edges between them', () => {
    const { nodes, edges } = selected(['n1', 'n2']);
    const payload = copySelection(nodes, edges)!;
    expect(payload.nodes.map((n) => n.id)).toEqual(['n1', 'n2']);
    expect(payload.edges.map((e) => e.id)).toEqual(['e1']);
    expect(payload.nodes[0]).not.toHaveProperty('selected');
  });

  it('copies nothing when nothing is selected', () => {
    const { nodes, edges } = selected([]);
    expect(copySelection(nodes, edges)).toBeNull();
  });

  it('round-trips through text with fresh ids, offset positions and edges remapped', () => {
    const { nodes, edges } = selected(['n1', 'n2', 'n3']);
    const text = serializeClipboard(copySelection(nodes, edges)!);
    const payload = parseClipboard(text)!;
    const pasted = materializePaste(payload, nodes.map((n) => n.id), edges.map((e) => e.id), { x: 40, y: 40 });

    expect(pasted.nodes.map((n) => n.id)).toEqual(['n5', 'n6', 'n7']);
    expect(pasted.nodes.map((n) => n.position)).toEqual([
      { x: 40, y: 40 },
      { x: 290, y: 40 },
      { x: 540, y: 40 },
    ]);
    expect(pasted.nodes.every((n) => n.selected)).toBe(true);
    expect(pasted.edges).toEqual([
      expect.objectContaining({ id: 'e3', source: 'n5', sourceHandle: 'out', target: 'n6', targetHandle: 'in' }),
      expect.objectContaining({ id: 'e4', source: 'n6', sourceHandle: 'out', target: 'n7', targetHandle: 'in' }),
    ]);
    // The copy is deep: editing the paste does not touch the original's data.
    expect(pasted.nodes[1].data).toEqual(nodes[1].data);
    expect(pasted.nodes[1].data).not.toBe(nodes[1].data);
  });

  it('pastes into another flow whose ids do not clash', () => {
    const { nodes, edges } = selected(['n1', 'n2']);
    const payload = parseClipboard(serializeClipboard(copySelection(nodes, edges)!))!;
    const pasted = materializePaste(payload, [], []);
    expect(pasted.nodes.map((n) => n.id)).toEqual(['n1', 'n2']);
    expect(pasted.edges[0]).toMatchObject({ id: 'e1', source: 'n1', target: 'n2' });
  });

  it('drops edges whose ends were not both pasted', () => {
    const payload = parseClipboard(
      JSON.stringify({
        nodes: [{ id: 'a', type: 'template', position: { x: 0, y: 0 }, data: { label: 'a', config: {} } }],
        edges: [{ id: 'x', source: 'a', sourceHandle: 'out', target: 'zzz', targetHandle: 'in' }],
      }),
    )!;
    expect(materializePaste(payload, [], []).edges).toEqual([]);
  });

  it('reads a flow export as paste material too', () => {
    const payload = parseClipboard(JSON.stringify({ name: 'x', description: '', graph: sampleGraph() }))!;
    expect(payload.nodes).toHaveLength(4);
  });

  it('ignores text that is not a graph', () => {
    expect(parseClipboard('hello')).toBeNull();
    expect(parseClipboard('{"a": 1}')).toBeNull();
    expect(parseClipboard('{"nodes": [{"id": 1}]}')).toBeNull();
    expect(parseClipboard('[1, 2]')).toBeNull();
  });
});
