import { useEffect, useLayoutEffect, useRef } from 'react';
import { copySelection, parseClipboard, PASTE_OFFSET, serializeClipboard } from '../lib/clipboard';
import { isDialogOpen } from '../components/ui/Dialog';
import { useGraphStore } from '../stores/graphStore';
import { toast } from '../stores/toastStore';
import { useUiStore } from '../stores/uiStore';

export function isEditableTarget(target: EventTarget | null): boolean {
  if (!(target instanceof HTMLElement)) return false;
  if (target.isContentEditable) return true;
  const tag = target.tagName;
  if (tag === 'TEXTAREA' || tag === 'SELECT') return true;
  if (tag === 'INPUT') {
    const type = (target as HTMLInputElement).type;
    return !['checkbox', 'radio', 'button', 'submit', 'range', 'color'].includes(type);
  }
  return false;
}

function hasTextSelection(): boolean {
  const sel = window.getSelection?.();
  return !!sel && !sel.isCollapsed && sel.toString().length > 0;
}

interface EditorKeysOptions {
  readOnly: boolean;
  onSave: () => void;
}

/**
 * The editor's keyboard: Ctrl+S, undo/redo, Delete, select all, "/" for the
 * palette, and copy/cut/paste of nodes through the system clipboard (as JSON
 * text, so it works between flows and browser tabs). Keys typed into a field
 * stay with the field, except Ctrl+S.
 */
export function useEditorKeys({ readOnly, onSave }: EditorKeysOptions): void {
  const onSaveRef = useRef(onSave);
  useLayoutEffect(() => {
    onSaveRef.current = onSave;
  });
  const pasteRef = useRef<{ text: string; count: number }>({ text: '', count: 0 });

  useEffect(() => {
    const onKeyDown = (e: KeyboardEvent) => {
      const mod = e.ctrlKey || e.metaKey;
      const key = e.key.toLowerCase();
      if (mod && key === 's') {
        e.preventDefault();
        if (!readOnly && !isDialogOpen()) onSaveRef.current();
        return;
      }
      if (isDialogOpen() || isEditableTarget(e.target)) return;
      const store = useGraphStore.getState();
      if (mod && key === 'z' && !e.shiftKey) {
        e.preventDefault();
        store.undo();
      } else if ((mod && key === 'z' && e.shiftKey) || (mod && key === 'y')) {
        e.preventDefault();
        store.redo();
      } else if ((e.key === 'Delete' || e.key === 'Backspace') && !mod) {
        if (!readOnly && store.deleteSelected()) e.preventDefault();
      } else if (mod && key === 'a') {
        e.preventDefault();
        store.selectOnly(store.nodes.map((n) => n.id), store.edges.map((ed) => ed.id));
      } else if ((e.key === '/' && !mod) || (mod && key === 'k')) {
        if (!readOnly) {
          e.preventDefault();
          useUiStore.getState().focusPalette();
        }
      } else if (e.key === 'Escape') {
        store.selectOnly([]);
      }
    };

    const onCopy = (e: ClipboardEvent, cut: boolean) => {
      if (isDialogOpen() || isEditableTarget(e.target) || hasTextSelection()) return;
      const store = useGraphStore.getState();
      const payload = copySelection(store.nodes, store.edges);
      if (!payload || !e.clipboardData) return;
      e.preventDefault();
      e.clipboardData.setData('text/plain', serializeClipboard(payload));
      pasteRef.current = { text: '', count: 0 };
      if (cut && !readOnly) {
        store.deleteSelected();
        toast.info(`Cut ${payload.nodes.length} node${payload.nodes.length === 1 ? '' : 's'}.`);
      } else {
        toast.info(`Copied ${payload.nodes.length} node${payload.nodes.length === 1 ? '' : 's'}.`);
      }
    };

    const onPaste = (e: ClipboardEvent) => {
      if (readOnly || isDialogOpen() || isEditableTarget(e.target) || !e.clipboardData) return;
      const text = e.clipboardData.getData('text/plain');
      const payload = parseClipboard(text);
      if (!payload) return;
      e.preventDefault();
      // Pasting the same thing again moves each copy a step further.
      const count = pasteRef.current.text === text ? pasteRef.current.count + 1 : 1;
      pasteRef.current = { text, count };
      const offset = { x: PASTE_OFFSET * count, y: PASTE_OFFSET * count };
      const added = useGraphStore.getState().paste(payload, offset);
      toast.info(`Pasted ${added.length} node${added.length === 1 ? '' : 's'}.`);
    };

    const copy = (e: ClipboardEvent) => onCopy(e, false);
    const cut = (e: ClipboardEvent) => onCopy(e, true);
    window.addEventListener('keydown', onKeyDown);
    document.addEventListener('copy', copy);
    document.addEventListener('cut', cut);
    document.addEventListener('paste', onPaste);
    return () => {
      window.removeEventListener('keydown', onKeyDown);
      document.removeEventListener('copy', copy);
      document.removeEventListener('cut', cut);
      document.removeEventListener('paste', onPaste);
    };
  }, [readOnly]);
}
