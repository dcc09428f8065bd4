import {
  Background,
  BackgroundVariant,
  Controls,
  ReactFlow,
  useReactFlow,
  useStore,
  type Connection,
  type Edge,
  type FinalConnectionState,
  type IsValidConnection,
  type NodeTypes,
  type OnError,
  type Viewport,
} from '@xyflow/react';
import { useCallback, useLayoutEffect, useMemo, useRef, useState, type DragEvent, type ReactNode } from 'react';
import { checkConnection } from '../../lib/connection';
import { newFlowNode, type FlowEdge, type FlowNode } from '../../lib/graph';
import { ERROR_HANDLE } from '../../lib/handles';
import { createIdFactory } from '../../lib/ids';
import { estimateFitViewport } from '../../lib/viewport';
import { useCatalogStore } from '../../stores/catalogStore';
import { useGraphStore } from '../../stores/graphStore';
import { toast } from '../../stores/toastStore';
import { BatonNode, MAP_ZOOM } from './BatonNode';
import { FlowMiniMap } from './FlowMiniMap';
import { NoteNode } from './NoteNode';
import './FlowCanvas.css';
import './BatonNode.css';

export const DRAG_MIME = 'application/x-baton-node-type';

/**
 * Node types come from the server's catalog, so they are not known when this
 * module loads. One component draws them all; the lookup answers BatonNode for
 * any type name but `note`. Defined once at module scope (STYLE #12).
 */
const nodeTypes: NodeTypes = new Proxy({ note: NoteNode } as NodeTypes, {
  get(target, key) {
    if (typeof key !== 'string') return undefined;
    return target[key] ?? BatonNode;
  },
});

const defaultEdgeOptions = { interactionWidth: 18 };
// At map zoom an edge is a hair on screen, too thin to click even with a wide
// invisible stroke around it; without that stroke there are half as many paths to
// draw and hit-test.
const mapEdgeOptions = { interactionWidth: 0 };
const MIN_ZOOM = 0.05;
const MAX_ZOOM = 2.5;
const fitViewOptions = { padding: 0.2, maxZoom: 1 };
const proOptions = { hideAttribution: false };

const onFlowError: OnError = (code, message) => {
  if (code === '002') return; // "nodeTypes changed" cannot happen: the object is a module constant
  console.warn(`[react-flow ${code}] ${message}`);
};

function orient(state: FinalConnectionState): Connection | null {
  const from = state.fromHandle;
  const to = state.toHandle;
  if (!from || !to) return null;
  const [source, target] = from.type === 'source' ? [from, to] : [to, from];
  return { source: source.nodeId, sourceHandle: source.id ?? null, target: target.nodeId, targetHandle: target.id ?? null };
}

interface FlowCanvasProps {
  readOnly: boolean;
  children?: ReactNode;
}

/**
 * The canvas, opened at a fit-view estimated from the nodes' positions (React Flow
 * fits again once it has measured them): its first render is at the zoom it ends
 * with, so a large flow is drawn once, at the level of detail that zoom calls for.
 */
export function FlowCanvas(props: FlowCanvasProps) {
  const paneRef = useRef<HTMLDivElement>(null);
  const [start, setStart] = useState<Viewport | null>(null);
  useLayoutEffect(() => {
    const pane = paneRef.current;
    if (!pane) return;
    const { nodes } = useGraphStore.getState();
    const { byType } = useCatalogStore.getState();
    setStart(
      estimateFitViewport(nodes, byType, pane.offsetWidth, pane.offsetHeight, { ...fitViewOptions, minZoom: MIN_ZOOM }),
    );
  }, []);
  return (
    <div ref={paneRef} className="flow-canvas">
      {start && <Canvas {...props} start={start} />}
    </div>
  );
}

function Canvas({ readOnly, children, start }: FlowCanvasProps & { start: Viewport }) {
  const nodes = useGraphStore((s) => s.nodes);
  const edges = useGraphStore((s) => s.edges);
  const problemsByEdge = useGraphStore((s) => s.problemsByEdge);
  const onNodesChange = useGraphStore((s) => s.onNodesChange);
  const onEdgesChange = useGraphStore((s) => s.onEdgesChange);
  const { screenToFlowPosition } = useReactFlow();
  // Zoomed far out, drop shadows and transitions: cheaper to paint hundreds of nodes.
  const zoomedOut = useStore((s) => s.transform[2] < 0.55);
  const mapZoom = useStore((s) => s.transform[2] < MAP_ZOOM);

  // Presentation only: error routes dashed, edges named by a problem in red.
  const shownEdges = useMemo(
    () =>
      edges.map((e) => {
        const problem = problemsByEdge[e.id];
        const route = e.sourceHandle === ERROR_HANDLE;
        if (!problem && !route) return e;
        const className = [route ? 'edge--route' : '', problem ? 'edge--problem' : ''].join(' ').trim();
        return { ...e, className, ...(problem ? { label: problem[0], ariaLabel: problem.join(' ') } : {}) };
      }),
    [edges, problemsByEdge],
  );

  const isValidConnection: IsValidConnection<Edge> = useCallback((conn) => {
    const s = useGraphStore.getState();
    const check = checkConnection(
      conn,
      (id) => s.nodes.find((n) => n.id === id),
      s.edges,
      useCatalogStore.getState().byType,
    );
    return check.ok;
  }, []);

  const onConnect = useCallback((conn: Connection) => {
    const before = useGraphStore.getState().nodes.find((n) => n.id === conn.source);
    const check = useGraphStore.getState().connect(conn, useCatalogStore.getState().byType);
    if (!check.ok) {
      toast.warning(check.reason);
    } else if (check.fromErrorHandle && before?.data.settings?.on_error !== 'route') {
      toast.info(`"${before?.data.label || conn.source}" now routes its errors (on_error: route).`);
    }
  }, []);

  const onConnectEnd = useCallback((_event: MouseEvent | TouchEvent, state: FinalConnectionState) => {
    if (state.isValid !== false || !state.toHandle) return;
    const conn = orient(state);
    if (!conn) return;
    if (state.fromHandle?.type === state.toHandle.type) {
      toast.warning(state.toHandle.type === 'source' ? 'Connect an output to an input.' : 'Connect an input to an output.');
      return;
    }
    const s = useGraphStore.getState();
    const check = checkConnection(
      conn,
      (id) => s.nodes.find((n) => n.id === id),
      s.edges,
      useCatalogStore.getState().byType,
    );
    if (!check.ok) toast.warning(check.reason);
  }, []);

  const onDragOver = useCallback((event: DragEvent) => {
    if (!event.dataTransfer.types.includes(DRAG_MIME)) return;
    event.preventDefault();
    event.dataTransfer.dropEffect = 'copy';
  }, []);

  const onDrop = useCallback(
    (event: DragEvent) => {
      const type = event.dataTransfer.getData(DRAG_MIME);
      if (!type) return;
      event.preventDefault();
      const nodeType = useCatalogStore.getState().byType[type];
      if (!nodeType) return;
      const position = screenToFlowPosition({ x: event.clientX, y: event.clientY });
      const id = createIdFactory('n', useGraphStore.getState().nodes.map((n) => n.id))();
      useGraphStore.getState().addNodes([newFlowNode(nodeType, id, { x: position.x - 20, y: position.y - 20 })]);
    },
    [screenToFlowPosition],
  );

  return (
    <ReactFlow<FlowNode, FlowEdge>
      nodes={nodes}
      edges={shownEdges}
      nodeTypes={nodeTypes}
      onNodesChange={onNodesChange}
      onEdgesChange={onEdgesChange}
      onConnect={onConnect}
      onConnectEnd={onConnectEnd}
      isValidConnection={isValidConnection}
      onDragOver={readOnly ? undefined : onDragOver}
      onDrop={readOnly ? undefined : onDrop}
      nodesDraggable={!readOnly}
      nodesConnectable={!readOnly}
      edgesReconnectable={false}
      deleteKeyCode={null}
      selectionKeyCode="Shift"
      multiSelectionKeyCode={['Meta', 'Control', 'Shift']}
      defaultEdgeOptions={mapZoom ? mapEdgeOptions : defaultEdgeOptions}
      onlyRenderVisibleElements={nodes.length > 150}
      minZoom={MIN_ZOOM}
      maxZoom={MAX_ZOOM}
      defaultViewport={start}
      fitView
      fitViewOptions={fitViewOptions}
      proOptions={proOptions}
      onError={onFlowError}
      data-testid="canvas"
      className={zoomedOut ? 'canvas--far' : undefined}
    >
      <Background variant={BackgroundVariant.Dots} gap={20} size={1.2} />
      <Controls showInteractive={false} />
      <FlowMiniMap />
      {children}
    </ReactFlow>
  );
}
