import {
  Handle,
  Position,
  useNodeId,
  useStore,
  useStoreApi,
  useUpdateNodeInternals,
  type HandleProps,
  type NodeProps,
  type ReactFlowState,
} from '@xyflow/react';
import { memo, useEffect, useMemo, useRef } from 'react';
import { useShallow } from 'zustand/react/shallow';
import { useNow } from '../../hooks/useNow';
import { countProblems, formatDuration, valueAsText } from '../../lib/format';
import { upstreamOf, type FlowNode } from '../../lib/graph';
import { inputHandles, outputHandles, type HandleSpec } from '../../lib/handles';
import { useNodeType } from '../../stores/catalogStore';
import { useGraphStore } from '../../stores/graphStore';
import { describeWaitKey, useNodeRun, useRunStore, waitKey } from '../../stores/runStore';
import { useUiStore } from '../../stores/uiStore';
import { StatusIcon } from '../ui/StatusIcon';
import './BatonNode.css';

const STREAM_TAIL = 600;
const NO_UPSTREAM: string[] = [];

function labelOf(id: string): string {
  return useGraphStore.getState().nodes.find((n) => n.id === id)?.data.label ?? '';
}

function categoryClass(category: string | undefined): string {
  return `cat--${(category ?? 'other').toLowerCase().replace(/[^a-z0-9]+/g, '-')}`;
}

function initials(label: string): string {
  const words = label.split(/[\s_-]+/).filter(Boolean);
  return (words.length > 1 ? words[0][0] + words[1][0] : label.slice(0, 2)).toUpperCase();
}

const quietName = (h: HandleSpec, count: number, quiet: string) => count === 1 && h.name === quiet;

function Elapsed({ startedAt }: { startedAt: string | null }) {
  const now = useNow(true, 200);
  if (!startedAt) return null;
  const t = new Date(startedAt).getTime();
  return <span className="bn__time">{Number.isNaN(t) ? '' : formatDuration(Math.max(0, now - t))}</span>;
}

function StreamTail({ text }: { text: string }) {
  const ref = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (ref.current) ref.current.scrollTop = ref.current.scrollHeight;
  }, [text]);
  return (
    <div ref={ref} className="bn__stream nowheel" data-testid="node-stream">
      {text.length > STREAM_TAIL ? `…${text.slice(-STREAM_TAIL)}` : text}
    </div>
  );
}

/**
 * Levels of detail. A large flow zoomed out to fit is hundreds of nodes' worth of
 * text to lay out and paint and of live handles to keep subscribed, all for
 * something a few pixels high:
 * - `full` from DETAIL_ZOOM up;
 * - `far` below it: no small print (type line, port names, status time; 5 px
 *   high at 0.45, unreadable anyway), the label drawn larger instead;
 * - `map` below MAP_ZOOM: no text at all, and handles drawn as plain elements
 *   (StaticHandle), too small there to start a connection from.
 * Every level has the same size and handle positions (fixed heights in BatonNode.css;
 * run extras such as errors are drawn at every level), so crossing a threshold
 * moves no edge and needs no re-measuring; data-id and data-status stay.
 */
export const DETAIL_ZOOM = 0.45;
export const MAP_ZOOM = 0.25;
type Detail = 'full' | 'far' | 'map';
const selectDetail = (s: ReactFlowState): Detail => (s.transform[2] < MAP_ZOOM ? 'map' : s.transform[2] < DETAIL_ZOOM ? 'far' : 'full');

/**
 * A handle as React Flow draws it (same element, classes and data attributes, so
 * it is measured, found and connected to alike) without the store subscription
 * each live Handle keeps: drawn when the zoom is too far out to start a
 * connection from a handle a couple of pixels wide.
 */
function StaticHandle({ type, position, id, className, title }: HandleProps & { title?: string }) {
  const nodeId = useNodeId();
  const rfId = useStoreApi().getState().rfId;
  return (
    <div
      data-handleid={id}
      data-nodeid={nodeId}
      data-handlepos={position}
      data-id={`${rfId}-${nodeId}-${id}-${type}`}
      className={`react-flow__handle react-flow__handle-${position} nodrag nopan ${className ?? ''} ${type} connectable connectablestart connectableend connectionindicator`}
      title={title}
    />
  );
}

/** Every executable node type is drawn by this one component, shaped by its catalog entry. */
export const BatonNode = memo(function BatonNode({ id, type, data, selected }: NodeProps<FlowNode>) {
  // React Flow passes the measured size and position too; the body depends on
  // none of them, so measuring or dragging a node does not draw it again.
  const detail = useStore(selectDetail);
  return <NodeBody id={id} type={type} data={data} selected={selected} detail={detail} />;
});

interface NodeBodyProps {
  id: string;
  type: string;
  data: FlowNode['data'];
  selected: boolean;
  detail: Detail;
}

const NodeBody = memo(function NodeBody({ id, type, data, selected, detail }: NodeBodyProps) {
  const far = detail !== 'full';
  const Port = detail === 'map' ? StaticHandle : Handle;
  const nodeType = useNodeType(type);
  const run = useNodeRun(id);
  const problems = useGraphStore((s) => s.problemsByNode[id]);
  // Compared by content: a new edges array (any edge added, removed or selected)
  // makes new lists, and that must not draw every node again.
  const upstream = useGraphStore(useShallow((s) => upstreamOf(s.edges).get(id) ?? NO_UPSTREAM));
  const wait = useRunStore((s) => waitKey(s.nodes[id], upstream, s.nodes));
  const waitText = useMemo(() => describeWaitKey(wait, labelOf), [wait]);
  const inputs = useMemo(() => inputHandles(nodeType, type), [nodeType, type]);
  const outputs = useMemo(() => outputHandles(nodeType, data.config, type), [nodeType, data.config, type]);
  const regular = outputs.filter((h) => !h.isError);
  const errorHandle = outputs.find((h) => h.isError);
  const handleKey = `${inputs.map((h) => h.name).join(',')}>${outputs.map((h) => h.name).join(',')}`;
  // When the handles change (a router's categories), React Flow must measure
  // them again. Not on mount: it measures new nodes itself, and an early call
  // would make the initial fit-view see this node alone.
  const updateNodeInternals = useUpdateNodeInternals();
  const shownHandles = useRef(handleKey);
  useEffect(() => {
    if (shownHandles.current === handleKey) return;
    shownHandles.current = handleKey;
    updateNodeInternals(id);
  }, [handleKey, id, updateNodeInternals]);

  const status = run?.status ?? 'idle';
  const routes = data.settings?.on_error === 'route';
  const rows = Math.max(inputs.length, regular.length);
  const openOutput = () => {
    useGraphStore.getState().selectOnly([id]);
    useUiStore.getState().setPanelTab('output');
  };
  const hasOutput = run && run.output !== null && run.output !== undefined;

  return (
    <div
      className={[
        'bn',
        `bn--${status}`,
        categoryClass(nodeType?.category),
        selected ? 'bn--selected' : '',
        problems ? 'bn--problem' : '',
        nodeType ? '' : 'bn--unknown',
        far ? 'bn--far' : '',
      ].join(' ')}
      data-id={id}
      data-status={status}
      data-type={type}
      data-pinned={data.pinned ? 'true' : undefined}
      data-source={run?.source ?? undefined}
      data-testid={`node-${id}`}
    >
      <div className="bn__head">
        <span className="bn__icon" aria-hidden="true">
          {far ? null : initials(nodeType?.label ?? type ?? '?')}
        </span>
        {detail === 'map' ? null : far ? (
          <span className="bn__far-label">{data.label || nodeType?.label || type}</span>
        ) : (
          <span className="bn__title">
            <span className="bn__label" title={data.label}>
              {data.label || nodeType?.label || type}
            </span>
            <span className="bn__type">
              {nodeType?.label ?? `${type} (unknown type)`}
              {run && run.attempts > 1 ? ` · attempt ${run.attempts}` : ''}
            </span>
          </span>
        )}
        {data.pinned && (
          <span className="bn__mark bn__mark--pin" title="Output pinned: runs use it instead of executing this node" data-testid="node-pin">
            📌
          </span>
        )}
        {run?.source === 'reused' && !far && (
          <span className="bn__mark" title="Output reused from an earlier run, not executed" data-testid="node-reused">
            ↺
          </span>
        )}
        {run?.source === 'cached' && !far && (
          <span className="bn__mark" title="Output from the cache (computed in an earlier run), not executed" data-testid="node-cached">
            ⚡
          </span>
        )}
        {problems && (
          <span
            className="bn__warning"
            role="img"
            aria-label={`${countProblems(problems.length)}: ${problems.join('; ')}`}
            title={problems.join('\n')}
            data-testid="node-warning"
          >
            ⚠
          </span>
        )}
        {run && !far && (
          <span className="bn__status" title={status}>
            {status === 'running' ? <Elapsed startedAt={run.started_at} /> : run.duration_ms !== null && (
              <span className="bn__time">{formatDuration(run.duration_ms)}</span>
            )}
            <StatusIcon status={status} />
          </span>
        )}
      </div>

      {rows > 0 && (
        <div className="bn__ports">
          {Array.from({ length: rows }, (_, i) => {
            const input = inputs[i];
            const output = regular[i];
            return (
              <div className="bn__row" key={i}>
                {input && (
                  <div className="bn__port bn__port--in">
                    <Port
                      type="target"
                      position={Position.Left}
                      id={input.name}
                      className={`handle handle--in${input.many ? ' handle--many' : ''}`}
                      title={input.many ? `${input.label} (takes many edges)` : input.label}
                    />
                    {!far && !quietName(input, inputs.length, 'in') && (
                      <span className="bn__port-label">
                        {input.label}
                        {input.required ? ' *' : ''}
                      </span>
                    )}
                  </div>
                )}
                {output && (
                  <div className="bn__port bn__port--out">
                    {!far && !quietName(output, regular.length, 'out') && <span className="bn__port-label">{output.label}</span>}
                    <Port type="source" position={Position.Right} id={output.name} className="handle handle--out" title={output.label} />
                  </div>
                )}
              </div>
            );
          })}
        </div>
      )}
      {errorHandle && (
        <div className={`bn__row bn__row--error${routes ? ' bn__row--routes' : ''}`}>
          <div className="bn__port bn__port--out">
            {!far && <span className="bn__port-label">{routes ? 'error (routed)' : 'error'}</span>}
            <Port
              type="source"
              position={Position.Right}
              id={errorHandle.name}
              className={`handle handle--error${routes ? ' handle--routes' : ''}`}
              title="Routes the error here when it fails (sets on_error to route)"
            />
          </div>
        </div>
      )}

      {waitText && (
        <div className="bn__reason" data-testid="node-reason">
          {waitText}
        </div>
      )}
      {run?.stream ? <StreamTail text={run.stream} /> : null}
      {run?.error && (
        <div className="bn__error" data-testid="node-error">
          {run.error.message || valueAsText(run.error)}
        </div>
      )}
      {hasOutput && (
        <button type="button" className="bn__output-button nodrag" onClick={openOutput} data-testid="node-output-button">
          Output ›
        </button>
      )}
      {problems && (
        <div className="bn__problems" data-testid="node-problems">
          {problems.map((p, i) => (
            <div key={i}>{p}</div>
          ))}
        </div>
      )}
    </div>
  );
});
