import { describe, expect, it } from 'vitest';
import { curlExample, exampleBody } from './triggerExample';

describe('trigger URL examples', () => {
  it("sends the flow's input keys", () => {
    expect(exampleBody(['name', 'city'])).toBe('{"name":"...","city":"..."}');
    expect(exampleBody([])).toBe('{}');
  });

  it('quotes for the shell, single quotes included', () => {
    const cmd = curlExample('http://x/hooks/abc/', `{"q":"it's"}`);
    expect(cmd).toBe(`curl -X POST 'http://x/hooks/abc/' \\\n  -H 'Content-Type: application/json' \\\n  -d '{"q":"it'\\''s"}'`);
  });
});
