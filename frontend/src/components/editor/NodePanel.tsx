import { useCallback } from 'react';
import type { JsonSchema } from '../../api/types';
import { useNodeType } from '../../stores/catalogStore';
import { useGraphStore } from '../../stores/graphStore';
import { useRunStore } from '../../stores/runStore';
import { useUiStore } from '../../stores/uiStore';
import { LazySchemaForm as SchemaForm } from '../forms/LazySchemaForm';
import type { FormContext } from '../forms/PickerWidget';
import { NodeRunInspector } from '../run/NodeRunInspector';
import { outputHandles } from '../../lib/handles';
import { keepCache, NodeCache, withoutCache } from './NodeCache';
import { PinEditor, PinFromRun, RunFromButtons, type RunFromHandler } from './NodeReuse';
import './panel.css';
import './ProblemsList.css';

/** Used when the catalog entry carries no settings_schema. */
export const FALLBACK_SETTINGS_SCHEMA: JsonSchema = {
  type: 'object',
  properties: {
    retries: { type: 'integer', title: 'Retries', minimum: 0, default: 0 },
    retry_backoff: { type: 'number', title: 'Retry backoff (s)', minimum: 0, default: 1 },
    timeout: { type: 'number', title: 'Timeout (s)', minimum: 0 },
    on_error: {
      type: 'string',
      title: 'On error',
      enum: ['fail', 'continue', 'route'],
      default: 'fail',
      description: 'fail the run, continue with a null output, or route the error out of the error handle',
    },
  },
};

interface NodePanelProps {
  nodeId: string;
  readOnly: boolean;
  context?: FormContext;
  /** Run from this node (or only it), reusing the other outputs; absent where runs do not start. */
  onRunFrom?: RunFromHandler;
}

export function NodePanel({ nodeId, readOnly, context, onRunFrom }: NodePanelProps) {
  const node = useGraphStore((s) => s.nodes.find((n) => n.id === nodeId));
  const problems = useGraphStore((s) => s.problemsByNode[nodeId]);
  const updateNodeData = useGraphStore((s) => s.updateNodeData);
  const deleteSelected = useGraphStore((s) => s.deleteSelected);
  const nodeType = useNodeType(node?.type);
  const hasRun = useRunStore((s) => Boolean(s.nodes[nodeId]));
  const tab = useUiStore((s) => s.panelTab);
  const setTab = useUiStore((s) => s.setPanelTab);

  const onConfig = useCallback(
    (config: Record<string, unknown>) => updateNodeData(nodeId, { config }, `config:${nodeId}`),
    [nodeId, updateNodeData],
  );
  const onSettings = useCallback(
    (settings: Record<string, unknown>) => {
      // The form does not show `cache` (NodeCache does): keep what is set.
      const cache = useGraphStore.getState().nodes.find((n) => n.id === nodeId)?.data.settings?.cache;
      updateNodeData(nodeId, { settings: keepCache(settings, cache) }, `settings:${nodeId}`);
    },
    [nodeId, updateNodeData],
  );

  if (!node) return null;
  const isNote = node.type === 'note';
  // A node that hands something on may be pinned (a pin on `output` would skip its point).
  const pinnable = Boolean(nodeType?.executable) && outputHandles(nodeType, node.data.config, node.type).some((h) => !h.isError);
  const shownTab = tab === 'output' && !isNote ? 'output' : 'node';

  return (
    <div className="panel node-panel" data-testid="node-panel" data-node-id={nodeId}>
      <header className="panel__header">
        <div>
          <div className="panel__title">{node.data.label || nodeType?.label || node.type}</div>
          <div className="muted small">
            {nodeType?.label ?? node.type} · <code>{node.id}</code>
          </div>
        </div>
        {!readOnly && (
          <button type="button" className="button button--small button--ghost-danger" onClick={deleteSelected} data-testid="delete-node">
            Delete
          </button>
        )}
      </header>
      {!isNote && (
        <div className="tabs" role="tablist">
          <button type="button" role="tab" aria-selected={shownTab === 'node'} className="tab" onClick={() => setTab('node')}>
            Settings
          </button>
          <button
            type="button"
            role="tab"
            aria-selected={shownTab === 'output'}
            className="tab"
            onClick={() => setTab('output')}
            data-testid="output-tab"
          >
            Output{hasRun ? ' •' : ''}
          </button>
        </div>
      )}
      <div className="panel__body">
        {problems && (
          <ul className="problems problems--inline" data-testid="node-panel-problems">
            {problems.map((p, i) => (
              <li key={i}>{p}</li>
            ))}
          </ul>
        )}
        {onRunFrom && nodeType?.executable && <RunFromButtons nodeId={nodeId} onRunFrom={onRunFrom} />}
        {shownTab === 'output' ? (
          <>
            {pinnable && <PinFromRun nodeId={nodeId} readOnly={readOnly} />}
            <NodeRunInspector nodeId={nodeId} nodeType={node.type} />
          </>
        ) : (
          <>
            {nodeType?.description && <p className="muted small">{nodeType.description}</p>}
            {!isNote && (
              <label className="field">
                <span className="field__label">Label</span>
                <input
                  className="input"
                  value={node.data.label}
                  readOnly={readOnly}
                  onChange={(e) => updateNodeData(nodeId, { label: e.target.value }, `label:${nodeId}`)}
                  data-testid="node-label-input"
                />
              </label>
            )}
            <section className="panel__section">
              <h4>Configuration</h4>
              {nodeType ? (
                <SchemaForm
                  key={`config:${nodeId}`}
                  schema={nodeType.config_schema}
                  value={node.data.config}
                  onChange={onConfig}
                  idPrefix={`cfg_${nodeId}`}
                  readOnly={readOnly}
                  testId="config-form"
                  context={context}
                />
              ) : (
                <p className="error-text">The type “{node.type}” is not in the catalog.</p>
              )}
            </section>
            {nodeType?.executable && (
              <section className="panel__section">
                <h4>When it runs</h4>
                <SchemaForm
                  key={`settings:${nodeId}`}
                  schema={withoutCache(nodeType.settings_schema ?? FALLBACK_SETTINGS_SCHEMA)}
                  value={(node.data.settings ?? {}) as Record<string, unknown>}
                  onChange={onSettings}
                  idPrefix={`set_${nodeId}`}
                  readOnly={readOnly}
                  testId="settings-form"
                />
              </section>
            )}
            {nodeType?.executable && nodeType.cacheable && <NodeCache nodeId={nodeId} readOnly={readOnly} />}
            {pinnable && <PinEditor key={`pin:${nodeId}`} nodeId={nodeId} readOnly={readOnly} />}
          </>
        )}
      </div>
    </div>
  );
}
