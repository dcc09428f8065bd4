import { fireEvent, render, screen } from '@testing-library/react';
import { ReactFlowProvider } from '@xyflow/react';
import { beforeEach, describe, expect, it } from 'vitest';
import type { Graph, NodeType } from '../../api/types';
import { formatUsage } from '../../lib/runDetails';
import { useCatalogStore } from '../../stores/catalogStore';
import { useGraphStore } from '../../stores/graphStore';
import { useRunStore } from '../../stores/runStore';
import { useUiStore } from '../../stores/uiStore';
import { catalogList } from '../../test/fixtures';
import { freezesOneSample, keepCache, withoutCache } from './NodeCache';
import { NodePanel } from './NodePanel';

const template = catalogList.find((t) => t.type === 'template')!;
const llm: NodeType = { ...template, type: 'llm', label: 'LLM', category: 'AI', execution: 'queued' };

function graphWith(nodes: Array<{ id: string; type: string; config?: Record<string, unknown>; settings?: Record<string, unknown> }>): Graph {
  return {
    nodes: nodes.map((n) => ({
      id: n.id,
      type: n.type,
      position: { x: 0, y: 0 },
      data: { label: n.id, config: n.config ?? {}, ...(n.settings ? { settings: n.settings } : {}) },
    })),
    edges: [],
  } as Graph;
}

const panel = (nodeId: string) =>
  render(
    <ReactFlowProvider>
      <NodePanel nodeId={nodeId} readOnly={false} />
    </ReactFlowProvider>,
  );

const settingsOf = (nodeId: string) => useGraphStore.getState().nodes.find((n) => n.id === nodeId)!.data.settings;

describe('cache outputs in the node panel', () => {
  beforeEach(() => {
    useCatalogStore.getState().setTypes([...catalogList, llm]);
    useRunStore.getState().clear();
    useUiStore.getState().setPanelTab('node');
  });

  it('turns the cache on with a TTL, changes it, and turns it off', () => {
    useGraphStore.getState().load(graphWith([{ id: 't', type: 'template', config: { template: 'x' }, settings: { retries: 2 } }]));
    panel('t');
    fireEvent.click(screen.getByTestId('cache-toggle'));
    expect(settingsOf('t')).toEqual({ retries: 2, cache: { ttl: 3600 } });
    fireEvent.change(screen.getByTestId('cache-ttl'), { target: { value: '60' } });
    expect(settingsOf('t')).toEqual({ retries: 2, cache: { ttl: 60 } });
    fireEvent.click(screen.getByTestId('cache-toggle'));
    expect(settingsOf('t')).toEqual({ retries: 2 });
  });

  it('is not offered on types that cannot cache', () => {
    useGraphStore.getState().load(graphWith([{ id: 'i', type: 'input' }]));
    panel('i');
    expect(screen.queryByTestId('cache-toggle')).toBeNull();
  });

  it('says caching freezes one sample for a model with a temperature above 0', () => {
    useGraphStore.getState().load(
      graphWith([
        { id: 'warm', type: 'llm', config: { temperature: 0.7 }, settings: { cache: { ttl: 60 } } },
        { id: 'cold', type: 'llm', config: { temperature: 0 }, settings: { cache: { ttl: 60 } } },
      ]),
    );
    const { unmount } = panel('warm');
    expect(screen.getByTestId('cache-sample-note').textContent).toContain('caching freezes one sample');
    unmount();
    panel('cold');
    expect(screen.queryByTestId('cache-sample-note')).toBeNull();
  });
});

describe('cache helpers', () => {
  it('knows which models sample', () => {
    expect(freezesOneSample('llm', { temperature: 1 })).toBe(true);
    expect(freezesOneSample('llm', {})).toBe(true); // the provider's default samples
    expect(freezesOneSample('agent', { temperature: 0 })).toBe(false);
    expect(freezesOneSample('router', { temperature: 1 })).toBe(false); // routes at temperature 0
    expect(freezesOneSample('http', {})).toBe(false);
  });

  it('keeps the cache out of the generic settings form and in the settings it saves', () => {
    const schema = { type: 'object', properties: { retries: { type: 'integer' }, cache: { anyOf: [] } } };
    expect(withoutCache(schema)).toEqual({ type: 'object', properties: { retries: { type: 'integer' } } });
    expect(keepCache({ retries: 1 }, { ttl: 5 })).toEqual({ retries: 1, cache: { ttl: 5 } });
    expect(keepCache({ retries: 1, cache: { ttl: 9 } }, null)).toEqual({ retries: 1 });
  });

  it('shows a cached node run as costing nothing, with what it saved', () => {
    expect(formatUsage({ cached: true, saved: { input_tokens: 1000, output_tokens: 200, cost_usd: 0.00027 } })).toBe(
      'cached: nothing spent · saved 1,000 in / 200 out tokens · $0.0003',
    );
    expect(formatUsage({ cached: true, saved: {} })).toBe('cached: nothing spent');
    expect(formatUsage({ saved_input_tokens: 10, saved_output_tokens: 2 })).toBe('nothing spent · saved by the cache 10 in / 2 out tokens');
  });
});
