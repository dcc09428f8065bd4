import type { NodeType } from '../api/types';

export function filterNodeTypes(types: readonly NodeType[], query: string): NodeType[] {
  const q = query.trim().toLowerCase();
  if (!q) return [...types];
  const words = q.split(/\s+/);
  return types.filter((t) => {
    const hay = `${t.label} ${t.type} ${t.category} ${t.description ?? ''}`.toLowerCase();
    return words.every((w) => hay.includes(w));
  });
}

export function groupByCategory(types: readonly NodeType[]): [string, NodeType[]][] {
  const groups = new Map<string, NodeType[]>();
  for (const t of types) {
    const list = groups.get(t.category || 'Other');
    if (list) list.push(t);
    else groups.set(t.category || 'Other', [t]);
  }
  return [...groups.entries()];
}
