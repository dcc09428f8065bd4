import { act, render } from '@testing-library/react';
import { ReactFlowProvider } from '@xyflow/react';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { useCatalogStore } from '../../stores/catalogStore';
import { useGraphStore } from '../../stores/graphStore';
import { useRunStore } from '../../stores/runStore';
import { catalogList, sampleGraph, sampleRun } from '../../test/fixtures';
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
});
