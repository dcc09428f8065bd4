import { beforeEach, describe, expect, it } from 'vitest';
import type { RunEvent } from '../api/types';
import { sampleRun } from '../test/fixtures';
import { describeWaitKey, useRunStore, waitKey } from './runStore';

const store = () => useRunStore.getState();
const status = (node_id: string, s: string, seq: number, extra: Record<string, unknown> = {}): RunEvent =>
  ({
    type: 'node.status',
    seq,
    run_id: 'run-1',
    node_id,
    status: s,
    attempts: 1,
    error: null,
    started_at: null,
    finished_at: null,
    duration_ms: null,
    ...extra,
  }) as RunEvent;

beforeEach(() => store().clear());

describe('run store', () => {
  it('replaces its state on a snapshot', () => {
    store().begin('run-1');
    store().applyEvent({ type: 'run.snapshot', seq: 5, run: sampleRun() });
    expect(store().seq).toBe(5);
    expect(store().nodes.n1.status).toBe('succeeded');
    expect(store().nodes.n2.stream).toBe('Hel');
    expect(store().nodes.n3.reason).toBe('waits for Template (n2)');
    expect(store().run?.status).toBe('running');
  });

  it('applies events in seq order and drops ones at or below the last applied', () => {
    store().begin('run-1');
    store().applyEvent({ type: 'run.snapshot', seq: 5, run: sampleRun() });
    expect(store().applyEvent(status('n2', 'succeeded', 4))).toBe(false);
    expect(store().applyEvent(status('n2', 'succeeded', 5))).toBe(false);
    expect(store().nodes.n2.status).toBe('running');
    expect(store().applyEvent(status('n2', 'succeeded', 6, { duration_ms: 12 }))).toBe(true);
    expect(store().nodes.n2.status).toBe('succeeded');
    expect(store().nodes.n2.duration_ms).toBe(12);
    expect(store().seq).toBe(6);
  });

  it('appends streamed text and stores outputs', () => {
    store().begin('run-1');
    store().applyEvent({ type: 'run.snapshot', seq: 5, run: sampleRun() });
    store().applyEvent({ type: 'node.delta', seq: 6, run_id: 'run-1', node_id: 'n2', text: 'lo ' });
    store().applyEvent({ type: 'node.delta', seq: 7, run_id: 'run-1', node_id: 'n2', text: 'world' });
    expect(store().nodes.n2.stream).toBe('Hello world');
    store().applyEvent({ type: 'node.output', seq: 8, run_id: 'run-1', node_id: 'n2', output: 'x'.repeat(10), truncated: true });
    expect(store().nodes.n2.output).toBe('xxxxxxxxxx');
    expect(store().nodes.n2.truncated).toBe(true);
  });

  it('lets a reconnect snapshot resync everything', () => {
    store().begin('run-1');
    store().applyEvent({ type: 'run.snapshot', seq: 5, run: sampleRun() });
    store().applyEvent(status('n2', 'running', 6));
    const later = sampleRun({
      status: 'succeeded',
      seq: 12,
      nodes: sampleRun().nodes.map((n) => ({ ...n, status: 'succeeded', reason: null })),
    });
    store().applyEvent({ type: 'run.snapshot', seq: 12, run: later });
    expect(Object.values(store().nodes).every((n) => n.status === 'succeeded')).toBe(true);
    expect(store().run?.status).toBe('succeeded');
    expect(store().seq).toBe(12);
    // events from before the snapshot, replayed late, change nothing
    expect(store().applyEvent(status('n3', 'running', 11))).toBe(false);
  });

  it('ignores the HTTP reply that started the run when events already overtook it', () => {
    // The websocket is faster than the POST reply: events first...
    store().begin('run-1');
    store().applyEvent({ type: 'run.snapshot', seq: 7, run: sampleRun({ seq: 7, status: 'running' }) });
    store().applyEvent(status('n2', 'succeeded', 8));
    // ...then the reply, describing the run at seq 2.
    const applied = store().loadRun(sampleRun({ seq: 2, status: 'pending' }));
    expect(applied).toBe(false);
    expect(store().nodes.n2.status).toBe('succeeded');
    expect(store().run?.status).toBe('running');
  });

  it('takes the HTTP reply when it is the newest thing known', () => {
    store().begin('run-1');
    expect(store().loadRun(sampleRun({ seq: 3 }))).toBe(true);
    expect(store().seq).toBe(3);
    expect(store().applyEvent(status('n3', 'running', 4))).toBe(true);
  });

  it('ignores events of another run', () => {
    store().begin('run-1');
    store().loadRun(sampleRun());
    expect(store().applyEvent({ ...(status('n2', 'failed', 9) as object), run_id: 'run-2' } as RunEvent)).toBe(false);
    expect(store().applyEvent({ type: 'run.snapshot', seq: 99, run: sampleRun({ id: 'run-2' }) })).toBe(false);
  });

  it('follows the run status, its error and outputs', () => {
    store().begin('run-1');
    store().loadRun(sampleRun());
    store().applyEvent({
      type: 'run.status',
      seq: 9,
      run_id: 'run-1',
      status: 'failed',
      error: { message: 'boom', node_id: 'n2' },
      finished_at: '2025-01-01T10:00:05Z',
      outputs: { answer: 1 },
    });
    expect(store().run).toMatchObject({ status: 'failed', error: { message: 'boom' }, outputs: { answer: 1 } });
  });

  it('starts a fresh stream when a retry begins', () => {
    store().begin('run-1');
    store().loadRun(sampleRun());
    store().applyEvent(status('n2', 'running', 6, { attempts: 2 }));
    expect(store().nodes.n2.stream).toBe('');
    expect(store().nodes.n2.attempts).toBe(2);
  });

  it('creates state for a node it has not heard of', () => {
    store().begin('run-1');
    store().loadRun(sampleRun());
    store().applyEvent(status('n9', 'queued', 6));
    expect(store().nodes.n9.status).toBe('queued');
  });

  it('keeps where a supplied output came from (pinned, reused from another run)', () => {
    store().begin('run-1');
    store().loadRun(sampleRun());
    store().applyEvent(status('n2', 'succeeded', 6, { source: 'reused', source_run: 'run-0' }));
    store().applyEvent(status('n3', 'succeeded', 7, { source: 'pinned', source_run: null }));
    expect([store().nodes.n2.source, store().nodes.n2.source_run]).toEqual(['reused', 'run-0']);
    expect(store().nodes.n3.source).toBe('pinned');
    store().applyEvent(status('n3', 'succeeded', 8));
    expect(store().nodes.n3.source).toBe('pinned');
  });

  it('changes only the entry of the node an event names', () => {
    store().begin('run-1');
    store().loadRun(sampleRun());
    const before = store().nodes;
    store().applyEvent(status('n3', 'queued', 6));
    expect(store().nodes.n1).toBe(before.n1);
    expect(store().nodes.n2).toBe(before.n2);
    expect(store().nodes.n3).not.toBe(before.n3);
  });
});

describe('run store batches', () => {
  beforeEach(() => store().clear());

  it('applies a batch in one update, keeping the seq rules', () => {
    store().begin('run-1');
    store().loadRun(sampleRun());
    let updates = 0;
    const unsubscribe = useRunStore.subscribe(() => (updates += 1));
    const applied = store().applyEvents([
      status('n2', 'succeeded', 6),
      status('n2', 'running', 6), // same seq: dropped
      status('n3', 'running', 7),
      { type: 'node.delta', seq: 3, run_id: 'run-1', node_id: 'n3', text: 'old' }, // older: dropped
      { type: 'node.delta', seq: 8, run_id: 'run-1', node_id: 'n3', text: 'new' },
    ]);
    unsubscribe();
    expect(applied).toBe(3);
    expect(updates).toBe(1);
    expect(store().nodes.n2.status).toBe('succeeded');
    expect(store().nodes.n3).toMatchObject({ status: 'running', stream: 'new' });
    expect(store().seq).toBe(8);
  });

  it('lets a snapshot inside a batch reset what came before it', () => {
    store().begin('run-1');
    store().loadRun(sampleRun());
    store().applyEvents([
      status('n2', 'failed', 6),
      { type: 'run.snapshot', seq: 9, run: sampleRun({ seq: 9 }) },
      status('n3', 'queued', 10),
    ]);
    expect(store().nodes.n2.status).toBe('running');
    expect(store().nodes.n3.status).toBe('queued');
  });
});

describe('why a node is not running', () => {
  beforeEach(() => store().clear());

  it('names the unfinished upstream nodes from live statuses, not the stale snapshot reason', () => {
    store().begin('run-1');
    store().loadRun(sampleRun());
    const labels: Record<string, string> = { n2: 'Template' };
    const key = () => waitKey(store().nodes.n3, ['n2'], store().nodes);
    expect(describeWaitKey(key(), (id) => labels[id] ?? '')).toBe('Waits for Template (n2)');
    store().applyEvent(status('n2', 'succeeded', 6));
    // upstream done: back to what the server said
    expect(describeWaitKey(key(), () => '')).toBe('waits for Template (n2)');
  });

  it('shows a waiting node its own message, and nothing once it runs', () => {
    store().begin('run-1');
    store().loadRun(sampleRun());
    store().applyEvent(status('n2', 'waiting', 6, { message: 'waiting 2 s' }));
    expect(describeWaitKey(waitKey(store().nodes.n2, [], store().nodes), () => '')).toBe('waiting 2 s');
    store().applyEvent(status('n2', 'running', 7));
    expect(waitKey(store().nodes.n2, [], store().nodes)).toBeNull();
  });

  it('keeps the key equal while the answer is the same', () => {
    store().begin('run-1');
    store().loadRun(sampleRun());
    const before = waitKey(store().nodes.n3, ['n2'], store().nodes);
    store().applyEvent({ type: 'node.delta', seq: 6, run_id: 'run-1', node_id: 'n2', text: 'x' });
    expect(waitKey(store().nodes.n3, ['n2'], store().nodes)).toBe(before);
  });
});
