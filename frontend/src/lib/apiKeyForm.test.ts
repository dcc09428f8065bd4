import { describe, expect, it } from 'vitest';
import { describeKeyFlows, expiryFrom } from './apiKeyForm';

describe('API key form', () => {
  const now = Date.UTC(2030, 0, 10, 12, 0, 0);

  it('sends no expiry for never, and counts preset days from now', () => {
    expect(expiryFrom('never', '', now)).toBeNull();
    expect(expiryFrom('keep', '2030-03-01', now)).toBeUndefined();
    expect(expiryFrom('30', '', now)).toBe(new Date(Date.UTC(2030, 1, 9, 12, 0, 0)).toISOString());
  });

  it('ends a custom date at the end of that day', () => {
    const iso = expiryFrom('custom', '2030-03-01', now) as string;
    const end = new Date(iso);
    expect(end.getFullYear()).toBe(2030);
    expect(end.getMonth()).toBe(2);
    expect(end.getDate()).toBe(1);
    expect(end.getHours()).toBe(23);
  });

  it('refuses a missing or past custom date with a sentence', () => {
    expect(() => expiryFrom('custom', '', now)).toThrow('Choose the date');
    expect(() => expiryFrom('custom', '2029-12-31', now)).toThrow('must be in the future');
  });

  it('names the flows a key is limited to', () => {
    const names = new Map([
      [1, 'Greeter'],
      [2, 'Summarise'],
    ]);
    expect(describeKeyFlows({ flows: [] }, names)).toBe('All flows');
    expect(describeKeyFlows({ flows: [2, 1] }, names)).toBe('Summarise, Greeter');
    expect(describeKeyFlows({ flows: [9] }, names)).toBe('flow 9');
  });
});
