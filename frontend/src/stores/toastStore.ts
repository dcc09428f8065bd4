import { create } from 'zustand';

export type ToastKind = 'info' | 'success' | 'warning' | 'error';

export interface Toast {
  id: number;
  kind: ToastKind;
  message: string;
}

interface ToastState {
  toasts: Toast[];
  show: (message: string, kind?: ToastKind, ms?: number) => number;
  dismiss: (id: number) => void;
}

let counter = 0;

export const useToastStore = create<ToastState>()((set, get) => ({
  toasts: [],
  show: (message, kind = 'info', ms) => {
    const id = ++counter;
    // One of each message at a time: repeated refusals do not stack up.
    const others = get().toasts.filter((t) => t.message !== message);
    set({ toasts: [...others.slice(-2), { id, kind, message }] });
    const life = ms ?? (kind === 'error' ? 7000 : kind === 'info' || kind === 'success' ? 2500 : 4500);
    if (life > 0) setTimeout(() => get().dismiss(id), life);
    return id;
  },
  dismiss: (id) => set({ toasts: get().toasts.filter((t) => t.id !== id) }),
}));

export const toast = {
  info: (m: string) => useToastStore.getState().show(m, 'info'),
  success: (m: string) => useToastStore.getState().show(m, 'success'),
  warning: (m: string) => useToastStore.getState().show(m, 'warning'),
  error: (m: string) => useToastStore.getState().show(m, 'error'),
};
