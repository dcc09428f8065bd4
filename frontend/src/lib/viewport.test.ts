import { describe, expect, it } from 'vitest';
import { catalogList } from '../test/fixtures';
import { fromGraph } from './graph';
import { estimateFitViewport } from './viewport';

const byType = Object.fromEntries(catalogList.map((t) => [t.type, t]));
const options = { padding: 0.2, minZoom: 0.05, maxZoom: 1 };

function grid(count: number, perRow: number) {
  return fromGraph({
    nodes: Array.from({ length: count }, (_, i) => ({
      id: `n${i}`,
      type: 'template',
      position: { x: 260 * (i % perRow), y: 160 * Math.floor(i / perRow) },
      data: { label: '', config: {} },
    })),
    edges: [],
  }).nodes;
}

describe('the estimated fit-view', () => {
  it('is the identity for an empty drawing or a pane not laid out', () => {
    expect(estimateFitViewport([], byType, 1000, 800, options)).toEqual({ x: 0, y: 0, zoom: 1 });
    expect(estimateFitViewport(grid(3, 3), byType, 0, 0, options)).toEqual({ x: 0, y: 0, zoom: 1 });
  });

  it('never zooms in past maxZoom, and centres a small drawing', () => {
    const nodes = grid(2, 2);
    const v = estimateFitViewport(nodes, byType, 1000, 800, options);
    expect(v.zoom).toBe(1);
    // Bounds are 480 wide: centred in 1000 px leaves 260 px either side.
    expect(v.x).toBeCloseTo(260, 0);
  });

  it('zooms out to fit a large drawing with the padding around it', () => {
    const nodes = grid(500, 25);
    const v = estimateFitViewport(nodes, byType, 900, 800, options);
    const boundsWidth = 260 * 24 + 220;
    expect(v.zoom).toBeLessThan(0.15);
    expect(v.zoom).toBeGreaterThan(0.05);
    // The drawing spans at most the pane less its padding.
    expect(boundsWidth * v.zoom).toBeLessThanOrEqual(900 / 1.2 + 1);
    expect(v.x).toBeGreaterThan(0);
  });

  it('prefers measured sizes and a note’s own size to estimates', () => {
    const [node] = grid(1, 1);
    const measured = { ...node, measured: { width: 2000, height: 100 } };
    const small = estimateFitViewport([node], byType, 1000, 800, options);
    const big = estimateFitViewport([measured], byType, 1000, 800, options);
    expect(big.zoom).toBeLessThan(small.zoom);
    const note = fromGraph({
      nodes: [{ id: 'm', type: 'note', position: { x: 0, y: 0 }, data: { label: '', config: {} }, width: 3000, height: 100 }],
      edges: [],
    }).nodes;
    expect(estimateFitViewport(note, byType, 1000, 800, options).zoom).toBeLessThan(0.3);
  });
});
