// /api/node-types/: the catalog the palette, the nodes' handles and the config forms come from.
import { itemsOf, request } from './client';
import type { NodeType, Page } from './types';

/** GET /api/node-types/ */
export async function listNodeTypes(signal?: AbortSignal): Promise<NodeType[]> {
  const data = await request<NodeType[] | Page<NodeType>>('GET', '/api/node-types/', undefined, { signal });
  return itemsOf(data);
}
