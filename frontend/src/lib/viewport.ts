import { getViewportForBounds, type Viewport } from '@xyflow/react';
import type { NodeType } from '../api/types';
import { DEFAULT_NODE_SIZE, type FlowNode } from './graph';
import { estimateNodeSize } from './placement';

export interface FitOptions {
  padding: number;
  minZoom: number;
  maxZoom: number;
}

/** The size a node will draw at: measured, set (notes), or estimated from its type. */
function sizeOf(node: FlowNode, byType: Readonly<Record<string, NodeType>>): { width: number; height: number } {
  if (node.measured?.width && node.measured.height) return { width: node.measured.width, height: node.measured.height };
  if (node.width && node.height) return { width: node.width, height: node.height };
  const nodeType = node.type ? byType[node.type] : undefined;
  return nodeType ? estimateNodeSize(nodeType, node.data.config) : DEFAULT_NODE_SIZE;
}

/**
 * The viewport that fits these nodes into a pane of `width` × `height`, from
 * sizes estimated before anything is measured. React Flow fits the view again
 * once it has measured the nodes; starting from this one means the first render
 * is already at (nearly) the final zoom, so nodes are drawn once at the level of
 * detail they end with, not first in full at zoom 1.
 */
export function estimateFitViewport(
  nodes: readonly FlowNode[],
  byType: Readonly<Record<string, NodeType>>,
  width: number,
  height: number,
  options: FitOptions,
): Viewport {
  const visible = nodes.filter((n) => !n.hidden);
  if (visible.length === 0 || width <= 0 || height <= 0) return { x: 0, y: 0, zoom: 1 };
  let minX = Infinity;
  let minY = Infinity;
  let maxX = -Infinity;
  let maxY = -Infinity;
  for (const node of visible) {
    const { width: w, height: h } = sizeOf(node, byType);
    minX = Math.min(minX, node.position.x);
    minY = Math.min(minY, node.position.y);
    maxX = Math.max(maxX, node.position.x + w);
    maxY = Math.max(maxY, node.position.y + h);
  }
  return getViewportForBounds(
    { x: minX, y: minY, width: maxX - minX, height: maxY - minY },
    width,
    height,
    options.minZoom,
    options.maxZoom,
    options.padding,
  );
}
