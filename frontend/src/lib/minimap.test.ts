import { describe, expect, it } from 'vitest';
import { minimapShapes, minimapView, visibleRect } from './minimap';

const node = (id: string, x: number, y: number, selected = false) => ({ id, x, y, width: 100, height: 50, selected });

describe('the mini map', () => {
  it('draws nodes as one path per status, selected ones last, and skips unmeasured nodes', () => {
    const statuses: Record<string, string> = { a: 'succeeded', b: 'failed' };
    const shapes = minimapShapes(
      [node('a', 0, 0), node('b', 200, 0), node('c', 0, 100, true), node('d', 200, 100), { ...node('e', 900, 900), width: 0 }],
      (id) => statuses[id],
    );
    expect(shapes.paths.map((p) => p.group)).toEqual(['succeeded', 'failed', 'idle', 'selected']);
    expect(shapes.paths[0].d).toBe('M0 0h100v50h-100z');
    expect(shapes.bounds).toEqual({ x: 0, y: 0, width: 300, height: 150 });
  });

  it('has no bounds without nodes', () => {
    expect(minimapShapes([], () => undefined)).toEqual({ bounds: null, paths: [] });
  });

  it('fits nodes and the visible area into the map, keeping its aspect ratio', () => {
    const visible = visibleRect([0, 0, 1], 400, 300);
    expect(visible).toEqual({ x: -0, y: -0, width: 400, height: 300 });
    const view = minimapView({ x: 0, y: 0, width: 2000, height: 300 }, visible, 200, 150);
    // 2000 flow units across 200 px: 10 units a pixel, plus an offset of 5 px on each side.
    expect(view.viewScale).toBe(10);
    expect(view.viewBox.width).toBe(2100);
    expect(view.viewBox.height).toBe(1600);
    expect(view.viewBox.x).toBe(-50);
    expect(view.maskPath).toContain('M0,0h400v300h-400z');
  });

  it('turns a zoomed and panned transform into flow coordinates', () => {
    expect(visibleRect([-100, 50, 0.5], 400, 300)).toEqual({ x: 200, y: -100, width: 800, height: 600 });
  });
});
