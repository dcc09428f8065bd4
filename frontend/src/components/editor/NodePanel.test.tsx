import { act, fireEvent, render, screen, waitFor } from '@testing-library/react';
import { ReactFlowProvider } from '@xyflow/react';
import { beforeEach, describe, expect, it } from 'vitest';
import { useCatalogStore } from '../../stores/catalogStore';
import { selectDirty, useGraphStore } from '../../stores/graphStore';
import { useRunStore } from '../../stores/runStore';
import { useUiStore } from '../../stores/uiStore';
import { catalogList, sampleGraph, sampleRun } from '../../test/fixtures';
import { NodePanel } from './NodePanel';

const panel = (nodeId: string) =>
  render(
    <ReactFlowProvider>
      <NodePanel nodeId={nodeId} readOnly={false} />
    </ReactFlowProvider>,
  );

describe('node panel', () => {
  beforeEach(() => {
    useCatalogStore.getState().setTypes(catalogList);
    useGraphStore.getState().load(sampleGraph());
    useRunStore.getState().clear();
    useUiStore.getState().setPanelTab('node');
  });

  // The forms' code loads in a chunk of its own: they appear a moment after the panel.
  it('opens without changing the node', async () => {
    panel('n2');
    expect(screen.getByTestId('node-panel')).toBeTruthy();
    expect(await screen.findByTestId('config-form')).toBeTruthy();
    expect(await screen.findByTestId('settings-form')).toBeTruthy();
    expect(selectDirty(useGraphStore.getState())).toBe(false);
  });

  it('edits the config through the generated form, as one undo step while typing', async () => {
    const { container } = panel('n2');
    const textarea = await waitFor(() => {
      const found = container.querySelector('textarea');
      if (!found) throw new Error('the form has not loaded yet');
      return found;
    });
    expect(textarea.value).toBe('Hi {{ input }}');
    fireEvent.change(textarea, { target: { value: 'Hi {{ input }}!' } });
    fireEvent.change(textarea, { target: { value: 'Hi {{ input }}!!' } });
    const node = useGraphStore.getState().nodes.find((n) => n.id === 'n2')!;
    expect(node.data.config).toEqual({ template: 'Hi {{ input }}!!' });
    expect(useGraphStore.getState().history.past).toHaveLength(1);
  });

  it('edits the label', () => {
    panel('n2');
    fireEvent.change(screen.getByTestId('node-label-input'), { target: { value: 'Greeting' } });
    expect(useGraphStore.getState().nodes.find((n) => n.id === 'n2')!.data.label).toBe('Greeting');
  });

  it('shows the output of the run on screen as text in the inspector', () => {
    panel('n1');
    act(() => {
      useRunStore.getState().begin('run-1');
      useRunStore.getState().loadRun(sampleRun());
      useUiStore.getState().setPanelTab('output');
    });
    expect(screen.getByTestId('node-inspector').textContent).toContain('succeeded');
    expect(screen.getByTestId('output-tree').textContent).toContain('hi');
  });
});
