// Geometry of the canvas's mini map: every node as part of one SVG path per
// status (hundreds of nodes are a handful of elements), and the view box and mask
// as React Flow's own MiniMap computes them.

export interface Rect {
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface MapNode extends Rect {
  id: string;
  selected: boolean;
}

export interface MapShapes {
  /** Bounds of all nodes, or null when there are none. */
  bounds: Rect | null;
  /** One path per group: `selected`, or the node's status in the run on screen (`idle` without one). */
  paths: { group: string; d: string }[];
}

const round = (n: number) => Math.round(n * 10) / 10;

export function minimapShapes(nodes: Iterable<MapNode>, statusOf: (id: string) => string | undefined): MapShapes {
  const groups = new Map<string, string[]>();
  let minX = Infinity;
  let minY = Infinity;
  let maxX = -Infinity;
  let maxY = -Infinity;
  for (const n of nodes) {
    if (!(n.width > 0 && n.height > 0)) continue;
    minX = Math.min(minX, n.x);
    minY = Math.min(minY, n.y);
    maxX = Math.max(maxX, n.x + n.width);
    maxY = Math.max(maxY, n.y + n.height);
    const group = n.selected ? 'selected' : (statusOf(n.id) ?? 'idle');
    let parts = groups.get(group);
    if (!parts) groups.set(group, (parts = []));
    parts.push(`M${round(n.x)} ${round(n.y)}h${round(n.width)}v${round(n.height)}h${-round(n.width)}z`);
  }
  const paths = [...groups].map(([group, parts]) => ({ group, d: parts.join('') }));
  // Selected nodes last, so they are drawn on top.
  paths.sort((a, b) => Number(a.group === 'selected') - Number(b.group === 'selected'));
  return { bounds: minX === Infinity ? null : { x: minX, y: minY, width: maxX - minX, height: maxY - minY }, paths };
}

export interface MinimapView {
  /** The SVG view box, in flow coordinates. */
  viewBox: Rect;
  /** Flow units per mini map pixel. */
  viewScale: number;
  /** The mask: everything but the visible part of the canvas. */
  maskPath: string;
}

function union(a: Rect, b: Rect): Rect {
  const x = Math.min(a.x, b.x);
  const y = Math.min(a.y, b.y);
  return { x, y, width: Math.max(a.x + a.width, b.x + b.width) - x, height: Math.max(a.y + a.height, b.y + b.height) - y };
}

/** What the map shows: the nodes and the visible part of the canvas, fitted into `width` × `height` pixels. */
export function minimapView(nodeBounds: Rect | null, visible: Rect, width: number, height: number, offsetScale = 5): MinimapView {
  const box = nodeBounds ? union(nodeBounds, visible) : visible;
  const viewScale = Math.max(box.width / width, box.height / height) || 1;
  const viewWidth = viewScale * width;
  const viewHeight = viewScale * height;
  const offset = offsetScale * viewScale;
  const viewBox = {
    x: box.x - (viewWidth - box.width) / 2 - offset,
    y: box.y - (viewHeight - box.height) / 2 - offset,
    width: viewWidth + offset * 2,
    height: viewHeight + offset * 2,
  };
  const outer = `M${viewBox.x - offset},${viewBox.y - offset}h${viewBox.width + offset * 2}v${viewBox.height + offset * 2}h${-viewBox.width - offset * 2}z`;
  const inner = `M${visible.x},${visible.y}h${visible.width}v${visible.height}h${-visible.width}z`;
  return { viewBox, viewScale, maskPath: `${outer}${inner}` };
}

/** The visible part of the canvas in flow coordinates, from React Flow's transform and pane size. */
export function visibleRect(transform: readonly [number, number, number], width: number, height: number): Rect {
  const [tx, ty, zoom] = transform;
  return { x: -tx / zoom, y: -ty / zoom, width: width / zoom, height: height / zoom };
}
