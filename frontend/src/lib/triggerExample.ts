// What the editor shows beside a new trigger URL: a command that calls it.

/** An example body for a trigger URL: the flow's input keys. */
export function exampleBody(keys: readonly string[]): string {
  const body: Record<string, string> = {};
  for (const key of keys) body[key] = '...';
  return JSON.stringify(body);
}

/** A shell-quoted curl command that POSTs `body` to `url`. */
export function curlExample(url: string, body: string): string {
  const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
  return `curl -X POST ${quote(url)} \\\n  -H 'Content-Type: application/json' \\\n  -d ${quote(body)}`;
}
