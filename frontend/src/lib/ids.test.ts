import { describe, expect, it } from 'vitest';
import { createIdFactory } from './ids';

describe('ids', () => {
  it('continues after the highest number used', () => {
    const next = createIdFactory('n', ['n1', 'n7', 'x99', 'n3']);
    expect([next(), next()]).toEqual(['n8', 'n9']);
  });
  it('starts at 1 on an empty drawing', () => {
    expect(createIdFactory('e', [])()).toBe('e1');
  });
  it('never hands out a taken id', () => {
    const next = createIdFactory('n', ['n2', 'n02']);
    expect(next()).toBe('n3');
  });
});
