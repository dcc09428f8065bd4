/**
 * Readable, collision-free ids: `n1`, `n2`, ... for nodes and `e1`, ... for edges.
 * The factory starts after the highest number already used with the prefix and
 * skips anything already taken, so pasted or imported ids never collide.
 */
export function createIdFactory(prefix: string, existing: Iterable<string>): () => string {
  const taken = new Set(existing);
  const pattern = new RegExp(`^${prefix.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(\\d+)$`);
  let counter = 0;
  for (const id of taken) {
    const match = pattern.exec(id);
    if (match) counter = Math.max(counter, Number(match[1]));
  }
  return () => {
    let id: string;
    do {
      counter += 1;
      id = `${prefix}${counter}`;
    } while (taken.has(id));
    taken.add(id);
    return id;
  };
}
