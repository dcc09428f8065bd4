import { Panel, useReactFlow, useStore, useStoreApi, type ReactFlowState } from '@xyflow/react';
import { memo, useMemo, useRef, type PointerEvent, type WheelEvent } from 'react';
import { minimapShapes, minimapView, visibleRect, type MapNode } from '../../lib/minimap';
import { useRunStore } from '../../stores/runStore';
import './FlowMiniMap.css';

const WIDTH = 200;
const HEIGHT = 150;

const selectNodes = (s: ReactFlowState) => s.nodes;
/** Changes when React Flow measures nodes, which it does without handing out new nodes. */
const selectMeasured = (s: ReactFlowState) => {
  let total = 0;
  for (const n of s.nodeLookup.values()) total += (n.measured.width ?? 0) + (n.measured.height ?? 0) * 1e-4;
  return total;
};
const selectTransform = (s: ReactFlowState) => s.transform;
const selectWidth = (s: ReactFlowState) => s.width;
const selectHeight = (s: ReactFlowState) => s.height;

/**
 * The canvas in miniature, pannable (drag) and zoomable (wheel) like React Flow's
 * MiniMap, which draws each node as a component of its own with its own store
 * subscription; here all nodes are a few paths (one per run status), redrawn only
 * when the nodes or their statuses change.
 */
export const FlowMiniMap = memo(function FlowMiniMap() {
  const store = useStoreApi();
  const { setViewport, zoomTo } = useReactFlow();
  const nodes = useStore(selectNodes);
  const measured = useStore(selectMeasured);
  const transform = useStore(selectTransform);
  const paneWidth = useStore(selectWidth);
  const paneHeight = useStore(selectHeight);
  const statuses = useRunStore((s) => s.nodes);

  const shapes = useMemo(() => {
    void nodes; // the lookup below is current whenever the nodes or their sizes are
    void measured;
    const list: MapNode[] = [];
    for (const n of store.getState().nodeLookup.values()) {
      if (n.hidden) continue;
      list.push({
        id: n.id,
        x: n.internals.positionAbsolute.x,
        y: n.internals.positionAbsolute.y,
        width: n.measured.width ?? n.width ?? 0,
        height: n.measured.height ?? n.height ?? 0,
        selected: Boolean(n.selected),
      });
    }
    return minimapShapes(list, (id) => statuses[id]?.status);
  }, [nodes, measured, statuses, store]);

  const view = minimapView(shapes.bounds, visibleRect(transform, paneWidth, paneHeight), WIDTH, HEIGHT);
  const viewScale = useRef(view.viewScale);
  viewScale.current = view.viewScale;
  const dragFrom = useRef<{ x: number; y: number } | null>(null);

  const onPointerDown = (e: PointerEvent<SVGSVGElement>) => {
    if (e.button !== 0) return;
    dragFrom.current = { x: e.clientX, y: e.clientY };
    e.currentTarget.setPointerCapture?.(e.pointerId);
  };
  const onPointerMove = (e: PointerEvent<SVGSVGElement>) => {
    const from = dragFrom.current;
    if (!from) return;
    dragFrom.current = { x: e.clientX, y: e.clientY };
    // Dragging moves the visible area over the map, as React Flow's MiniMap does.
    const [x, y, zoom] = store.getState().transform;
    const scale = viewScale.current * zoom;
    void setViewport({ x: x - (e.clientX - from.x) * scale, y: y - (e.clientY - from.y) * scale, zoom });
  };
  const onPointerUp = () => {
    dragFrom.current = null;
  };
  const onWheel = (e: WheelEvent<SVGSVGElement>) => {
    const zoom = store.getState().transform[2];
    const delta = -e.deltaY * (e.deltaMode === 1 ? 0.05 : e.deltaMode ? 1 : 0.002);
    void zoomTo(zoom * Math.pow(2, delta));
  };

  const { x, y, width, height } = view.viewBox;
  return (
    <Panel position="bottom-right" className="react-flow__minimap minimap" data-testid="minimap">
      <svg
        width={WIDTH}
        height={HEIGHT}
        viewBox={`${x} ${y} ${width} ${height}`}
        className="react-flow__minimap-svg"
        role="img"
        aria-label="Mini map"
        onPointerDown={onPointerDown}
        onPointerMove={onPointerMove}
        onPointerUp={onPointerUp}
        onPointerCancel={onPointerUp}
        onWheel={onWheel}
      >
        {shapes.paths.map((p) => (
          <path key={p.group} d={p.d} className={`minimap__nodes minimap__nodes--${p.group}`} />
        ))}
        <path className="react-flow__minimap-mask" d={view.maskPath} fillRule="evenodd" pointerEvents="none" />
      </svg>
    </Panel>
  );
});
