import { describe, expect, it } from 'vitest';
import type { RunSummary } from '../api/types';
import { needsRecordedAnswers, replaySources } from './replay';

const model = (credential: unknown) => ({ type: 'llm', data: { config: { credential } } });

describe('replay mode in the editor', () => {
  it('is offered when a model node has no credential', () => {
    expect(needsRecordedAnswers([model(null)])).toBe(true);
    expect(needsRecordedAnswers([model(undefined), model(3)])).toBe(true);
    expect(needsRecordedAnswers([model(3), { type: 'template', data: { config: {} } }])).toBe(false);
  });

  it('answers from ended runs, a shipped recording first', () => {
    const runs = [
      { id: 'a', status: 'running', trigger: 'editor' },
      { id: 'b', status: 'failed', trigger: 'editor' },
      { id: 'c', status: 'succeeded', trigger: 'recording' },
    ] as unknown as RunSummary[];
    expect(replaySources(runs).map((run) => run.id)).toEqual(['c', 'b']);
  });
});
