import { describe, expect, it } from 'vitest';
import { COALESCE_MS, emptyHistory, record, redo, undo } from './history';

describe('history', () => {
  it('undoes and redoes in order', () => {
    let h = emptyHistory<number>();
    h = record(h, 0, null, 1);
    h = record(h, 1, null, 2);
    const u1 = undo(h, 2)!;
    expect(u1.present).toBe(1);
    const u2 = undo(u1.history, u1.present)!;
    expect(u2.present).toBe(0);
    expect(undo(u2.history, u2.present)).toBeNull();
    const r1 = redo(u2.history, u2.present)!;
    expect(r1.present).toBe(1);
    const r2 = redo(r1.history, r1.present)!;
    expect(r2.present).toBe(2);
    expect(redo(r2.history, r2.present)).toBeNull();
  });

  it('coalesces edits with the same key close together', () => {
    let h = emptyHistory<string>();
    h = record(h, '', 'config:n1', 1000);
    h = record(h, 'a', 'config:n1', 1100);
    h = record(h, 'ab', 'config:n1', 1200);
    expect(h.past).toEqual(['']);
    // a pause starts a new step
    h = record(h, 'abc', 'config:n1', 1200 + COALESCE_MS + 1);
    expect(h.past).toEqual(['', 'abc']);
  });

  it('does not coalesce different keys or unkeyed edits', () => {
    let h = emptyHistory<number>();
    h = record(h, 0, 'label:n1', 1);
    h = record(h, 1, 'config:n1', 2);
    h = record(h, 2, null, 3);
    h = record(h, 3, null, 4);
    expect(h.past).toEqual([0, 1, 2, 3]);
  });

  it('clears the redo stack on a new edit', () => {
    let h = emptyHistory<number>();
    h = record(h, 0, null, 1);
    const u = undo(h, 1)!;
    expect(u.history.future).toEqual([1]);
    const h2 = record(u.history, 0, null, 2);
    expect(h2.future).toEqual([]);
  });

  it('does not coalesce across an undo', () => {
    let h = emptyHistory<string>();
    h = record(h, '', 'k', 1);
    const u = undo(h, 'a')!;
    const h2 = record(u.history, '', 'k', 2);
    expect(h2.past).toEqual(['']);
  });
});
