import { memo, useState } from 'react';
import { valueAsText } from '../../lib/format';
import { toast } from '../../stores/toastStore';
import { copyText } from './copyText';
import './JsonTree.css';

const MAX_CHILDREN = 200;

function kindOf(value: unknown): 'null' | 'array' | 'object' | 'string' | 'number' | 'boolean' | 'other' {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  const t = typeof value;
  if (t === 'object') return 'object';
  if (t === 'string' || t === 'number' || t === 'boolean') return t;
  return 'other';
}

interface NodeProps {
  name?: string;
  value: unknown;
  depth: number;
}

const TreeNode = memo(function TreeNode({ name, value, depth }: NodeProps) {
  const kind = kindOf(value);
  const [open, setOpen] = useState(depth < 2);
  const label = name !== undefined ? <span className="jt__key">{name}: </span> : null;

  if (kind !== 'array' && kind !== 'object') {
    const text = kind === 'string' ? JSON.stringify(value) : kind === 'other' ? String(value) : JSON.stringify(value);
    return (
      <div className="jt__row">
        {label}
        <span className={`jt__value jt__value--${kind}`}>{kind === 'string' && (value as string).includes('\n') ? (value as string) : text}</span>
      </div>
    );
  }
  const entries: [string, unknown][] =
    kind === 'array' ? (value as unknown[]).map((v, i) => [String(i), v]) : Object.entries(value as Record<string, unknown>);
  const summary =
    entries.length === 0 ? (kind === 'array' ? '[]' : '{}') : kind === 'array' ? `[${entries.length} items]` : `{${entries.length} keys}`;
  return (
    <div className="jt__branch">
      <button type="button" className="jt__toggle" onClick={() => setOpen(!open)} aria-expanded={open}>
        <span className="jt__caret">{open ? '▾' : '▸'}</span>
        {label}
        <span className="jt__summary">{summary}</span>
      </button>
      {open && (
        <div className="jt__children">
          {entries.slice(0, MAX_CHILDREN).map(([k, v]) => (
            <TreeNode key={k} name={k} value={v} depth={depth + 1} />
          ))}
          {entries.length > MAX_CHILDREN && <div className="jt__more">… {entries.length - MAX_CHILDREN} more</div>}
        </div>
      )}
    </div>
  );
});

/** A value as a collapsible tree; everything renders as text. */
export function JsonTree({ value, testId }: { value: unknown; testId?: string }) {
  const [raw, setRaw] = useState(false);
  const copy = async () => {
    const ok = await copyText(valueAsText(value));
    if (ok) toast.success('Copied to the clipboard.');
    else toast.error('The browser refused to copy.');
  };
  return (
    <div className="jt" data-testid={testId}>
      <div className="jt__bar">
        <button type="button" className="button button--small" onClick={() => setRaw(!raw)}>
          {raw ? 'Tree' : 'Raw'}
        </button>
        <button type="button" className="button button--small" onClick={copy} data-testid="copy-output">
          Copy
        </button>
      </div>
      {raw || typeof value === 'string' ? (
        <pre className="jt__raw">{valueAsText(value)}</pre>
      ) : (
        <TreeNode value={value} depth={0} />
      )}
    </div>
  );
}
