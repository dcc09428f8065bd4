import { NodeResizer, useReactFlow, type NodeProps } from '@xyflow/react';
import { memo } from 'react';
import type { FlowNode } from '../../lib/graph';
import { useGraphStore } from '../../stores/graphStore';
import './NoteNode.css';

export const NOTE_COLORS = ['yellow', 'blue', 'green', 'pink', 'gray'] as const;

/** A sticky note: resizable, editable text, no handles, never runs. */
export const NoteNode = memo(function NoteNode({ id, data, selected }: NodeProps<FlowNode>) {
  const { updateNodeData } = useReactFlow();
  const readOnly = useGraphStore((s) => s.readOnly);
  const text = typeof data.config?.text === 'string' ? data.config.text : '';
  const color = typeof data.config?.color === 'string' ? data.config.color : 'yellow';
  return (
    <>
      <NodeResizer isVisible={selected && !readOnly} minWidth={120} minHeight={60} />
      <div className={`note note--${color}`} data-id={id} data-status="idle" data-testid={`node-${id}`}>
        <div className="note__bar">
          {selected && !readOnly && (
            <span className="note__colors nodrag">
              {NOTE_COLORS.map((c) => (
                <button
                  key={c}
                  type="button"
                  className={`note__swatch note--${c}${c === color ? ' note__swatch--on' : ''}`}
                  aria-label={`Colour ${c}`}
                  onClick={() => updateNodeData(id, { config: { ...data.config, color: c } })}
                />
              ))}
            </span>
          )}
        </div>
        <textarea
          className="note__text nodrag nowheel"
          value={text}
          readOnly={readOnly}
          placeholder="Write a note…"
          aria-label="Note text"
          onChange={(e) => updateNodeData(id, { config: { ...data.config, text: e.target.value } })}
        />
      </div>
    </>
  );
});
