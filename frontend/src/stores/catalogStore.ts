import { create } from 'zustand';
import { describeError } from '../api/client';
import { listNodeTypes } from '../api/nodeTypes';
import type { NodeType } from '../api/types';

interface CatalogState {
  types: NodeType[];
  byType: Record<string, NodeType>;
  status: 'idle' | 'loading' | 'ready' | 'error';
  error: string | null;
  setTypes: (types: NodeType[]) => void;
  /** Loads the catalog once (again after an error). */
  ensureLoaded: () => Promise<void>;
}

export const useCatalogStore = create<CatalogState>()((set, get) => ({
  types: [],
  byType: {},
  status: 'idle',
  error: null,
  setTypes: (types) =>
    set({ types, byType: Object.fromEntries(types.map((t) => [t.type, t])), status: 'ready', error: null }),
  ensureLoaded: async () => {
    const { status } = get();
    if (status === 'ready' || status === 'loading') return;
    set({ status: 'loading', error: null });
    try {
      get().setTypes(await listNodeTypes());
    } catch (err) {
      set({ status: 'error', error: describeError(err) });
    }
  },
}));

export function useNodeType(type: string | undefined): NodeType | undefined {
  return useCatalogStore((s) => (type ? s.byType[type] : undefined));
}

/** Loaded, or failed for good: either way there is no point waiting for it any longer. */
export function catalogSettled(status: CatalogState['status']): boolean {
  return status === 'ready' || status === 'error';
}
