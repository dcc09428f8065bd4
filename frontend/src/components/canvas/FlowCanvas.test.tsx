import { act, render } from '@testing-library/react';
import { ReactFlowProvider, useStoreApi, type ReactFlowState } from '@xyflow/react';
import type { StoreApi } from 'zustand';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { useCatalogStore } from '../../stores/catalogStore';
import { useGraphStore } from '../../stores/graphStore';
import { useRunStore } from '../../stores/runStore';
import { catalogList, sampleGraph, sampleRun } from '../../test/fixtures';
import { DETAIL_ZOOM, MAP_ZOOM } from './BatonNode';
import { FlowCanvas } from './FlowCanvas';

function renderCanvas() {
  return render(
    <div style={{ width: 1000, height: 800 }}>
      <ReactFlowProvider>
        <FlowCanvas readOnly={false} />
      </ReactFlowProvider>
    </div>,
  );
}

const el = (c: HTMLElement, id: string) => c.querySelector(`.react-flow__node [data-id="${id}"]`) as HTMLElement | null;

describe('canvas nodes', () => {
  beforeEach(() => {
    useCatalogStore.getState().setTypes(catalogList);
    useGraphStore.getState().load(sampleGraph());
    useRunStore.getState().clear();
  });
  afterEach(() => useGraphStore.getState().load(null));

  it('carry data-id and data-status (idle without a run) inside the React Flow node element', () => {
    const { container } = renderCanvas();
    for (const id of ['n1', 'n2', 'n3', 'n4']) {
      const node = el(container, id);
      expect(node).not.toBeNull();
      expect(node!.dataset.status).toBe('idle');
      expect(node!.parentElement!.classList.contains('react-flow__node')).toBe(true);
    }
  });

  it('show the status of the run on screen, updated by events', () => {
    const { container } = renderCanvas();
    act(() => {
      useRunStore.getState().begin('run-1');
      useRunStore.getState().loadRun(sampleRun());
    });
    expect(container.querySelector('[data-id="n1"][data-status="succeeded"]')).not.toBeNull();
    expect(container.querySelector('[data-id="n2"][data-status="running"]')).not.toBeNull();
    expect(container.querySelector('[data-id="n4"][data-status="idle"]')).not.toBeNull();
    expect(el(container, 'n3')!.textContent).toContain('Waits for n2');

    act(() => {
      useRunStore.getState().applyEvent({ type: 'node.delta', seq: 6, run_id: 'run-1', node_id: 'n2', text: 'lo <b>there</b>' });
      useRunStore.getState().applyEvent({
        type: 'node.status',
        seq: 7,
        run_id: 'run-1',
        node_id: 'n2',
        status: 'failed',
        attempts: 2,
        error: { message: '<img src=x onerror=alert(1)>' },
        started_at: null,
        finished_at: null,
        duration_ms: 1500,
      });
    });
    const n2 = el(container, 'n2')!;
    expect(n2.dataset.status).toBe('failed');
    // Streamed text and errors render as text, never as markup.
    expect(n2.querySelector('b')).toBeNull();
    expect(n2.querySelector('img')).toBeNull();
    expect(n2.textContent).toContain('<img src=x onerror=alert(1)>');
    expect(n2.textContent).toContain('attempt 2');
    expect(n2.textContent).toContain('1.50 s');
  });

  it('draw a handle per input and output, plus the error handle', () => {
    const { container } = renderCanvas();
    const n4 = container.querySelector('.react-flow__node[data-id="n4"]')!;
    const ids = [...n4.querySelectorAll('.react-flow__handle')].map((h) => h.getAttribute('data-handleid'));
    expect(ids).toEqual(['in', 'true', 'false', 'error']);
  });

  it('outline a node the server named in a problem, with the message', () => {
    const { container } = renderCanvas();
    act(() => useGraphStore.getState().setProblems([{ node_id: 'n2', message: 'template: unexpected end' }]));
    const n2 = el(container, 'n2')!;
    expect(n2.classList.contains('bn--problem')).toBe(true);
    expect(n2.textContent).toContain('template: unexpected end');
  });

  it('mark a saved draft\'s problems as warnings on the node they concern, and nowhere else', () => {
    const { container } = renderCanvas();
    act(() =>
      useGraphStore.getState().setProblems([
        { node_id: 'n2', message: 'config.url: String should have at least 1 character' },
        { edge_id: 'e2', message: 'a cycle through n2 → n3 → n2: remove one edge of the cycle' },
      ]),
    );
    const n2 = el(container, 'n2')!;
    const marker = n2.querySelector('[data-testid="node-warning"]')!;
    expect(marker.getAttribute('aria-label')).toBe('1 problem: config.url: String should have at least 1 character');
    // The run's attributes stay as they were: tests and people watch runs by them.
    expect(n2.dataset.id).toBe('n2');
    expect(n2.dataset.status).toBe('idle');
    for (const id of ['n1', 'n3', 'n4']) expect(el(container, id)!.querySelector('[data-testid="node-warning"]')).toBeNull();
    act(() => useGraphStore.getState().setProblems([]));
    expect(el(container, 'n2')!.querySelector('[data-testid="node-warning"]')).toBeNull();
  });
});

describe('levels of detail', () => {
  let flowStore: StoreApi<ReactFlowState> | null = null;
  function Grab() {
    flowStore = useStoreApi() as unknown as StoreApi<ReactFlowState>;
    return null;
  }
  const renderWithStore = () =>
    render(
      <div style={{ width: 1000, height: 800 }}>
        <ReactFlowProvider>
          <FlowCanvas readOnly={false}>
            <Grab />
          </FlowCanvas>
        </ReactFlowProvider>
      </div>,
    );
  const zoomTo = (zoom: number) => act(() => flowStore!.setState({ transform: [0, 0, zoom] }));
  const handlesOf = (c: HTMLElement, id: string) =>
    [...c.querySelectorAll(`.react-flow__node[data-id="${id}"] .react-flow__handle`)].map((h) => [
      h.getAttribute('data-handleid'),
      h.classList.contains('source') ? 'source' : 'target',
      h.getAttribute('data-handlepos'),
    ]);

  beforeEach(() => {
    useCatalogStore.getState().setTypes(catalogList);
    useGraphStore.getState().load(sampleGraph());
    useRunStore.getState().clear();
  });
  afterEach(() => useGraphStore.getState().load(null));

  it('drop the small print when zoomed out, then the text and live handles, keeping ids, statuses and handles', () => {
    const { container } = renderWithStore();
    act(() => {
      useRunStore.getState().begin('run-1');
      useRunStore.getState().loadRun(sampleRun());
    });
    zoomTo(1);
    const full = handlesOf(container, 'n4');
    expect(el(container, 'n2')!.querySelector('.bn__type')).not.toBeNull();
    expect(el(container, 'n4')!.textContent).toContain('True');

    zoomTo((DETAIL_ZOOM + MAP_ZOOM) / 2);
    const far = el(container, 'n2')!;
    expect(far.classList.contains('bn--far')).toBe(true);
    expect(far.querySelector('.bn__type')).toBeNull();
    expect(far.querySelector('.bn__far-label')!.textContent).toBe('n2');
    expect(el(container, 'n4')!.textContent).not.toContain('True');
    expect(handlesOf(container, 'n4')).toEqual(full);

    zoomTo(MAP_ZOOM / 2);
    const map = el(container, 'n2')!;
    expect(map.querySelector('.bn__head')!.textContent).toBe('');
    expect(el(container, 'n4')!.textContent).toBe('');
    expect(map.dataset.status).toBe('running');
    expect(el(container, 'n1')!.dataset.status).toBe('succeeded');
    expect(handlesOf(container, 'n4')).toEqual(full);
    // Plain elements carry what React Flow finds handles by when connecting.
    const handle = container.querySelector('.react-flow__node[data-id="n4"] .react-flow__handle[data-handleid="true"]')!;
    expect(handle.getAttribute('data-id')).toMatch(/-n4-true-source$/);
    expect(handle.getAttribute('data-nodeid')).toBe('n4');

    zoomTo(1);
    expect(el(container, 'n2')!.querySelector('.bn__type')).not.toBeNull();
  });

  it('open a large flow already zoomed out to fit, so nodes are first drawn at the level they keep', () => {
    const nodes = Array.from({ length: 200 }, (_, i) => ({
      id: `n${i}`,
      type: 'template',
      position: { x: 260 * (i % 20), y: 160 * Math.floor(i / 20) },
      data: { label: `step ${i}`, config: {} },
    }));
    useGraphStore.getState().load({ nodes, edges: [] });
    const { container } = renderWithStore();
    const zoom = flowStore!.getState().transform[2];
    expect(zoom).toBeLessThan(MAP_ZOOM);
    expect(container.querySelectorAll('.bn__type')).toHaveLength(0);
    expect(container.querySelectorAll('.react-flow__node')).toHaveLength(200);
  });

  it('open a small flow at zoom 1 at most, in full detail', () => {
    const { container } = renderWithStore();
    expect(flowStore!.getState().transform[2]).toBe(1);
    expect(container.querySelectorAll('.bn__type').length).toBe(4);
  });
});
