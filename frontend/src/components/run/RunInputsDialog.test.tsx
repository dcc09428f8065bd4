import { fireEvent, render, screen } from '@testing-library/react';
import { describe, expect, it, vi } from 'vitest';
import { fromGraph } from '../../lib/graph';
import { RunInputsDialog } from './RunInputsDialog';

const nodes = (keys: string[]) =>
  fromGraph({
    nodes: keys.map((key, i) => ({ id: `n${i}`, type: 'input', position: { x: 0, y: 0 }, data: { label: `In ${i}`, config: { key } } })),
    edges: [],
  }).nodes;

describe('run inputs dialog', () => {
  it('asks one field per input key and runs with their values', () => {
    const onRun = vi.fn();
    render(<RunInputsDialog flowId={101} nodes={nodes(['question', 'lang'])} dirty={false} onRun={onRun} onCancel={() => undefined} />);
    fireEvent.change(screen.getByTestId('run-input-question'), { target: { value: 'Why?' } });
    fireEvent.change(screen.getByTestId('run-input-lang'), { target: { value: 'en' } });
    fireEvent.click(screen.getByTestId('run-submit'));
    expect(onRun).toHaveBeenCalledWith({ question: 'Why?', lang: 'en' });
  });

  it('uses a JSON editor when an input takes the whole object, and says when the draft is unsaved', () => {
    const onRun = vi.fn();
    render(<RunInputsDialog flowId={102} nodes={nodes(['', 'q'])} dirty onRun={onRun} onCancel={() => undefined} />);
    expect(screen.getByTestId('run-draft-notice')).toBeTruthy();
    fireEvent.change(screen.getByTestId('run-inputs-json'), { target: { value: '{"q": 1, "x": [true]}' } });
    fireEvent.click(screen.getByTestId('run-submit'));
    expect(onRun).toHaveBeenCalledWith({ q: 1, x: [true] });
  });

  it('refuses JSON that is not an object', () => {
    const onRun = vi.fn();
    render(<RunInputsDialog flowId={103} nodes={nodes([''])} dirty={false} onRun={onRun} onCancel={() => undefined} />);
    fireEvent.change(screen.getByTestId('run-inputs-json'), { target: { value: '[1]' } });
    fireEvent.click(screen.getByTestId('run-submit'));
    expect(onRun).not.toHaveBeenCalled();
    expect(screen.getByRole('alert').textContent).toMatch(/JSON object/);
  });
});
