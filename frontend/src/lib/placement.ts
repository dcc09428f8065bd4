import type { NodeType } from '../api/types';
import { DEFAULT_NODE_SIZE, NOTE_SIZE, type FlowNode } from './graph';
import { inputHandles, outputHandles } from './handles';

interface Rect {
  x: number;
  y: number;
  width: number;
  height: number;
}

function rectOf(node: FlowNode): Rect {
  return {
    x: node.position.x,
    y: node.position.y,
    width: node.measured?.width ?? node.width ?? DEFAULT_NODE_SIZE.width,
    height: node.measured?.height ?? node.height ?? DEFAULT_NODE_SIZE.height,
  };
}

function overlaps(a: Rect, b: Rect, gap: number): boolean {
  return a.x < b.x + b.width + gap && b.x < a.x + a.width + gap && a.y < b.y + b.height + gap && b.y < a.y + a.height + gap;
}

/**
 * The free spot nearest to `wanted` for a new node of `size`: tries rings of
 * positions around it and takes the first that overlaps no node.
 */
export function findFreePosition(
  wanted: { x: number; y: number },
  nodes: readonly FlowNode[],
  size: { width: number; height: number } = DEFAULT_NODE_SIZE,
  gap = 16,
): { x: number; y: number } {
  const rects = nodes.map(rectOf);
  const free = (x: number, y: number) => !rects.some((r) => overlaps({ x, y, width: size.width, height: size.height }, r, gap));
  if (free(wanted.x, wanted.y)) return wanted;
  const stepX = size.width + gap * 2;
  const stepY = size.height + gap * 2;
  for (let ring = 1; ring <= 12; ring++) {
    const candidates: { x: number; y: number; d: number }[] = [];
    for (let i = -ring; i <= ring; i++) {
      for (let j = -ring; j <= ring; j++) {
        if (Math.max(Math.abs(i), Math.abs(j)) !== ring) continue;
        const x = wanted.x + i * stepX;
        const y = wanted.y + j * stepY;
        candidates.push({ x, y, d: Math.hypot(i * stepX, j * stepY) });
      }
    }
    candidates.sort((a, b) => a.d - b.d);
    const spot = candidates.find((c) => free(c.x, c.y));
    if (spot) return { x: spot.x, y: spot.y };
  }
  return { x: wanted.x + 30, y: wanted.y + 30 };
}

/**
 * How big a node of this type draws with nothing from a run on it, before React
 * Flow measures it: the fixed sizes of BatonNode.css (.bn borders 2, .bn__head 46,
 * .bn__ports padding 8 and rows of 18, the error row 18 and its border 1).
 */
export function estimateNodeSize(nodeType: NodeType, config: Record<string, unknown> = {}): { width: number; height: number } {
  if (nodeType.type === 'note') return NOTE_SIZE;
  const outputs = outputHandles(nodeType, config);
  const rows = Math.max(inputHandles(nodeType).length, outputs.filter((h) => !h.isError).length);
  const ports = rows > 0 ? 8 + rows * 18 : 0;
  const errorRow = outputs.some((h) => h.isError) ? 19 : 0;
  return { width: DEFAULT_NODE_SIZE.width, height: 2 + 46 + ports + errorRow };
}
