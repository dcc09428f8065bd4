import { act, render } from '@testing-library/react';
import { ReactFlowProvider, useStoreApi, type ReactFlowState } from '@xyflow/react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { StoreApi } from 'zustand';
import { useCatalogStore } from '../../stores/catalogStore';
import { useGraphStore } from '../../stores/graphStore';
import { useRunStore } from '../../stores/runStore';
import { catalogList, sampleGraph, sampleRun } from '../../test/fixtures';
import { FlowCanvas } from './FlowCanvas';

// Every node body asks for its type once per render: count those asks per type.
// The sample graph has one node of each type, so a type stands for its node.
const renders = vi.hoisted(() => [] as string[]);
vi.mock('../../stores/catalogStore', async (importOriginal) => {
  const actual = await importOriginal<typeof import('../../stores/catalogStore')>();
  return {
    ...actual,
    useNodeType: (type: string | undefined) => {
      renders.push(type ?? '');
      return actual.useNodeType(type);
    },
  };
});

let flowStore: StoreApi<ReactFlowState> | null = null;
function Grab() {
  // The test reads React Flow's store from outside the tree; a render-time write is the way out.
  // eslint-disable-next-line react-hooks/globals
  flowStore = useStoreApi() as unknown as StoreApi<ReactFlowState>;
  return null;
}

describe('what draws a node again', () => {
  beforeEach(() => {
    useCatalogStore.getState().setTypes(catalogList);
    useGraphStore.getState().load(sampleGraph());
    useRunStore.getState().clear();
    render(
      <div style={{ width: 1000, height: 800 }}>
        <ReactFlowProvider>
          <FlowCanvas readOnly={false}>
            <Grab />
          </FlowCanvas>
        </ReactFlowProvider>
      </div>,
    );
    renders.length = 0;
  });
  afterEach(() => useGraphStore.getState().load(null));

  it('not panning or zooming within a level of detail', () => {
    act(() => flowStore!.setState({ transform: [120, -40, 1] }));
    act(() => flowStore!.setState({ transform: [300, 10, 0.8] }));
    expect(renders).toEqual([]);
  });

  it('not being measured', () => {
    act(() =>
      useGraphStore.getState().onNodesChange([
        { type: 'dimensions', id: 'n1', dimensions: { width: 220, height: 93 } },
        { type: 'dimensions', id: 'n2', dimensions: { width: 220, height: 93 } },
      ]),
    );
    expect(renders).toEqual([]);
  });

  it('selecting one node draws that node only', () => {
    act(() => useGraphStore.getState().selectOnly(['n2']));
    expect(renders).toEqual(['template']);
  });

  it('a new edge draws the node it leads into only', () => {
    act(() => {
      useGraphStore.getState().connect({ source: 'n2', sourceHandle: 'out', target: 'n4', targetHandle: 'in' }, useCatalogStore.getState().byType);
    });
    expect(useGraphStore.getState().edges).toHaveLength(3);
    expect(renders).toEqual(['condition']);
  });

  it('text streamed into one node draws that node only', () => {
    act(() => {
      useRunStore.getState().begin('run-1');
      useRunStore.getState().loadRun(sampleRun());
    });
    renders.length = 0;
    act(() => {
      useRunStore.getState().applyEvent({ type: 'node.delta', seq: 6, run_id: 'run-1', node_id: 'n2', text: 'more' });
    });
    expect(renders).toEqual(['template']);
  });
});
