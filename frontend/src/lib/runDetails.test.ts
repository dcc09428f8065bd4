import { describe, expect, it } from 'vitest';
import type { ChildRun } from '../api/types';
import { childrenOf, describeChildKey, formatUsage } from './runDetails';

const child = (id: string, node: string, key: string, created = '2025-01-01T00:00:00Z'): ChildRun => ({
  id,
  flow: 1,
  status: 'succeeded',
  parent_node_id: node,
  parent_key: key,
  error: null,
  usage: null,
  created_at: created,
  started_at: null,
  finished_at: null,
  duration_ms: null,
});

describe('formatUsage', () => {
  it('says tokens and cost, or nothing for a run without models', () => {
    expect(formatUsage({ input_tokens: 1234, output_tokens: 56, cost_usd: 0.0123 })).toBe('1,234 in / 56 out tokens · $0.0123');
    expect(formatUsage({ input_tokens: 10, output_tokens: 2, cost_usd: 1.5 })).toBe('10 in / 2 out tokens · $1.50');
    expect(formatUsage({ input_tokens: 10, output_tokens: 2 })).toBe('10 in / 2 out tokens');
    expect(formatUsage({})).toBeNull();
    expect(formatUsage(null)).toBeNull();
  });
});

describe('childrenOf', () => {
  it("keeps one node's children, map items by index", () => {
    const all = [child('a', 'map1', '10'), child('b', 'map1', '2'), child('c', 'sub', ''), child('d', 'map1', '0')];
    expect(childrenOf(all, 'map1').map((c) => c.id)).toEqual(['d', 'b', 'a']);
    expect(childrenOf(all, 'sub').map((c) => c.id)).toEqual(['c']);
    expect(childrenOf(undefined, 'x')).toEqual([]);
  });
});

describe('describeChildKey', () => {
  it('names map items and tool calls', () => {
    expect(describeChildKey({ parent_key: '3' }, 'map')).toBe('item 3');
    expect(describeChildKey({ parent_key: 'call_1' }, 'agent')).toBe('call call_1');
    expect(describeChildKey({ parent_key: '' }, 'subflow')).toBe('');
  });
});
