import { describe, expect, it } from 'vitest';
import { fromGraph } from './graph';
import { catalog } from '../test/fixtures';
import { estimateNodeSize, findFreePosition } from './placement';

const at = (id: string, x: number, y: number) => ({ id, type: 'template', position: { x, y }, data: { label: id, config: {} } });

describe('placing a new node', () => {
  it('takes the wanted spot when it is free', () => {
    expect(findFreePosition({ x: 0, y: 0 }, [])).toEqual({ x: 0, y: 0 });
  });

  it('moves to the nearest free spot, overlapping nothing', () => {
    const { nodes } = fromGraph({ nodes: [at('a', 0, 0), at('b', 0, 112)], edges: [] });
    const spot = findFreePosition({ x: 10, y: 10 }, nodes);
    for (const n of nodes) {
      const apart = Math.abs(spot.x - n.position.x) >= 220 + 16 || Math.abs(spot.y - n.position.y) >= 80 + 16;
      expect(apart).toBe(true);
    }
    expect(Math.hypot(spot.x - 10, spot.y - 10)).toBeLessThan(400);
  });
});

describe('estimating a new node', () => {
  it('grows with its handle rows', () => {
    expect(estimateNodeSize(catalog.condition).height).toBeGreaterThan(estimateNodeSize(catalog.template).height);
    expect(estimateNodeSize(catalog.note)).toEqual({ width: 240, height: 140 });
  });
});
