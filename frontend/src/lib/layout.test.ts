import { describe, expect, it } from 'vitest';
import { fromGraph } from './graph';
import { layoutPositions } from './layout';

describe('auto-layout', () => {
  it('places a chain left to right and keeps the top-left corner', () => {
    const { nodes, edges } = fromGraph({
      nodes: [
        { id: 'c', type: 'template', position: { x: 100, y: 100 }, data: { label: '', config: {} } },
        { id: 'a', type: 'input', position: { x: 500, y: 300 }, data: { label: '', config: {} } },
        { id: 'b', type: 'template', position: { x: 300, y: 500 }, data: { label: '', config: {} } },
        { id: 'note', type: 'note', position: { x: -50, y: -50 }, data: { label: '', config: {} } },
      ],
      edges: [
        { id: 'e1', source: 'a', sourceHandle: 'out', target: 'b', targetHandle: 'in' },
        { id: 'e2', source: 'b', sourceHandle: 'out', target: 'c', targetHandle: 'in' },
      ],
    });
    const positions = layoutPositions(nodes, edges);
    expect(positions.has('note')).toBe(false);
    const a = positions.get('a')!;
    const b = positions.get('b')!;
    const c = positions.get('c')!;
    expect(a.x).toBeLessThan(b.x);
    expect(b.x).toBeLessThan(c.x);
    expect(Math.min(a.x, b.x, c.x)).toBe(100);
    expect(Math.min(a.y, b.y, c.y)).toBe(100);
  });

  it('does nothing on an empty drawing', () => {
    expect(layoutPositions([], []).size).toBe(0);
  });
});
