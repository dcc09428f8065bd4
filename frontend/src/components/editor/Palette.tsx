import { useReactFlow } from '@xyflow/react';
import { useEffect, useMemo, useRef, useState, type KeyboardEvent, type RefObject } from 'react';
import type { NodeType } from '../../api/types';
import { filterNodeTypes, groupByCategory } from '../../lib/palette';
import { newFlowNode } from '../../lib/graph';
import { estimateNodeSize, findFreePosition } from '../../lib/placement';
import { createIdFactory } from '../../lib/ids';
import { useCatalogStore } from '../../stores/catalogStore';
import { useGraphStore } from '../../stores/graphStore';
import { useUiStore } from '../../stores/uiStore';
import { DRAG_MIME } from '../canvas/FlowCanvas';
import './Palette.css';

/** Adds a node of this type at the middle of the visible canvas, nudged off any node already there. */
function useAddAtCentre(canvasRef: RefObject<HTMLElement | null>) {
  const { screenToFlowPosition } = useReactFlow();
  return (nodeType: NodeType) => {
    const rect = canvasRef.current?.getBoundingClientRect();
    const centre = rect
      ? screenToFlowPosition({ x: rect.left + rect.width / 2, y: rect.top + rect.height / 2 })
      : { x: 0, y: 0 };
    const { nodes, addNodes } = useGraphStore.getState();
    const size = estimateNodeSize(nodeType, nodeType.config_defaults);
    const position = findFreePosition(
      { x: Math.round(centre.x - size.width / 2), y: Math.round(centre.y - size.height / 2) },
      nodes,
      size,
    );
    const id = createIdFactory('n', nodes.map((n) => n.id))();
    addNodes([newFlowNode(nodeType, id, position)]);
  };
}

interface PaletteProps {
  canvasRef: RefObject<HTMLElement | null>;
  disabled?: boolean;
}

/** The catalog by category; search, arrows and Enter add nodes without the mouse. */
export function Palette({ canvasRef, disabled }: PaletteProps) {
  const types = useCatalogStore((s) => s.types);
  const status = useCatalogStore((s) => s.status);
  const error = useCatalogStore((s) => s.error);
  const paletteFocus = useUiStore((s) => s.paletteFocus);
  const [query, setQuery] = useState('');
  const [active, setActive] = useState(0);
  const [searching, setSearching] = useState(false);
  const searchRef = useRef<HTMLInputElement>(null);
  const listRef = useRef<HTMLDivElement>(null);
  const addAtCentre = useAddAtCentre(canvasRef);

  const filtered = useMemo(() => filterNodeTypes(types, query), [types, query]);
  const groups = useMemo(() => groupByCategory(filtered), [filtered]);
  const flat = useMemo(() => groups.flatMap(([, list]) => list), [groups]);
  // Each type's place in the keyboard order (the groups, one after the other).
  const order = useMemo(() => new Map(flat.map((t, i) => [t.type, i])), [flat]);
  // A new search starts at its first match.
  const search = (text: string) => {
    setQuery(text);
    setActive(0);
  };

  useEffect(() => {
    if (paletteFocus > 0) {
      searchRef.current?.focus();
      searchRef.current?.select();
    }
  }, [paletteFocus]);
  useEffect(() => {
    listRef.current?.querySelector('[data-active="true"]')?.scrollIntoView?.({ block: 'nearest' });
  }, [active]);

  const onKeyDown = (e: KeyboardEvent<HTMLInputElement>) => {
    if (e.key === 'ArrowDown') {
      e.preventDefault();
      setActive((a) => Math.min(flat.length - 1, a + 1));
    } else if (e.key === 'ArrowUp') {
      e.preventDefault();
      setActive((a) => Math.max(0, a - 1));
    } else if (e.key === 'Enter') {
      e.preventDefault();
      const pick = flat[active];
      if (pick && !disabled) addAtCentre(pick);
    } else if (e.key === 'Escape') {
      if (query) search('');
      else searchRef.current?.blur();
    }
  };

  return (
    <aside className="palette" aria-label="Node palette" data-testid="palette">
      <div className="palette__search">
        <input
          ref={searchRef}
          className="input"
          type="search"
          placeholder="Search nodes  ( / )"
          value={query}
          onChange={(e) => search(e.target.value)}
          onKeyDown={onKeyDown}
          onFocus={() => setSearching(true)}
          onBlur={() => setSearching(false)}
          aria-label="Search node types"
          aria-controls="palette-list"
          aria-activedescendant={flat[active] ? `palette-${flat[active].type}` : undefined}
          data-testid="palette-search"
        />
      </div>
      <div className="palette__list" id="palette-list" role="listbox" ref={listRef} aria-label="Node types">
        {status === 'loading' && <p className="muted pad">Loading node types…</p>}
        {status === 'error' && <p className="error-text pad">Could not load node types: {error}</p>}
        {status === 'ready' && flat.length === 0 && <p className="muted pad">No node type matches “{query}”.</p>}
        {groups.map(([category, list]) => (
          <div key={category} className="palette__group">
            <div className="palette__category">{category}</div>
            {list.map((t) => {
              const isActive = searching && order.get(t.type) === active;
              return (
                <div
                  key={t.type}
                  id={`palette-${t.type}`}
                  role="option"
                  aria-selected={isActive}
                  data-active={isActive}
                  className={`palette__item${isActive ? ' palette__item--active' : ''}`}
                  draggable={!disabled}
                  onDragStart={(e) => {
                    e.dataTransfer.setData(DRAG_MIME, t.type);
                    e.dataTransfer.effectAllowed = 'copy';
                  }}
                  onClick={() => !disabled && addAtCentre(t)}
                  title={t.description || t.label}
                  data-testid={`palette-item-${t.type}`}
                  data-type={t.type}
                >
                  <span className="palette__label">{t.label}</span>
                  {t.description && <span className="palette__desc">{t.description}</span>}
                </div>
              );
            })}
          </div>
        ))}
      </div>
      <p className="palette__hint muted">Drag onto the canvas, click, or type and press Enter.</p>
    </aside>
  );
}
