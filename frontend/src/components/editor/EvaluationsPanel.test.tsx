import { fireEvent, render, screen, waitFor } from '@testing-library/react';
import { MemoryRouter } from 'react-router';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Evaluation } from '../../api/evaluations';
import { EvaluationsPanel } from './EvaluationsPanel';

function answer(body: unknown, status = 200) {
  return Promise.resolve(new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } }));
}

const evaluation: Evaluation = {
  id: 7, flow: 3, dataset: 2, version: 'draft', replay: true, replay_runs: [], scorers: [{ type: 'exact' }],
  max_parallel: 4, status: 'succeeded', created_at: '2026-01-01T00:00:00Z', finished_at: '2026-01-01T00:00:01Z',
  totals: { rows: 2, done: 2, passed: 1, failed: 1, pass_rate: 0.5, scorers: [{ type: 'exact', mean: 0.5 }], cost_usd: 0, mean_latency_ms: 12 },
  rows: [
    { index: 0, status: 'done', inputs: { a: 1 }, expected: '3', run: 'r0', run_status: 'succeeded', outputs: { result: '3' },
      scores: [{ type: 'exact', score: 1, pass: true, reason: '' }], pass: true, error: null, cost_usd: 0, latency_ms: 10 },
    { index: 1, status: 'done', inputs: { a: 2 }, expected: '7', run: 'r1', run_status: 'succeeded', outputs: { result: '6' },
      scores: [{ type: 'exact', score: 0, pass: false, reason: 'expected 7, got 6' }], pass: false, error: null, cost_usd: 0, latency_ms: 14 },
  ],
};

describe('the evaluations drawer', () => {
  const fetchMock = vi.fn();
  beforeEach(() => {
    fetchMock.mockReset();
    vi.stubGlobal('fetch', fetchMock);
    fetchMock.mockImplementation((url: string) => {
      if (url.endsWith('/datasets/')) return answer([{ id: 2, flow: 3, name: 'tests', row_count: 2, created_at: '' }]);
      if (url.endsWith('/flows/3/evaluations/')) return answer([{ ...evaluation, rows: undefined }]);
      if (url.endsWith('/evaluations/7/')) return answer(evaluation);
      return answer({ error: 'no' }, 404);
    });
  });
  afterEach(() => vi.unstubAllGlobals());

  it('lists datasets and evaluations, and shows a row-by-row results table', async () => {
    render(
      <MemoryRouter>
        <EvaluationsPanel flowId={3} canWrite onClose={() => {}} />
      </MemoryRouter>,
    );
    expect(await screen.findByText('2 rows')).toBeTruthy();
    fireEvent.click(await screen.findByText(/#7 · draft · replay/));
    const table = await screen.findByTestId('evaluation-results');
    await waitFor(() => expect(table.querySelectorAll('tbody tr')).toHaveLength(2));
    expect(table.textContent).toContain('1 of 2 passed (50%)');
    expect(table.querySelector('tr.is-failed')?.textContent).toContain('exact 0.00');
  });
});
