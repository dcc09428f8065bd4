import { create } from 'zustand';

export type PanelTab = 'node' | 'output';

/** Small view state shared by the canvas and the side panel. */
interface UiState {
  panelTab: PanelTab;
  setPanelTab: (tab: PanelTab) => void;
  /** Bumped to ask the palette search box for focus. */
  paletteFocus: number;
  focusPalette: () => void;
}

export const useUiStore = create<UiState>()((set, get) => ({
  panelTab: 'node',
  setPanelTab: (panelTab) => set({ panelTab }),
  paletteFocus: 0,
  focusPalette: () => set({ paletteFocus: get().paletteFocus + 1 }),
}));
