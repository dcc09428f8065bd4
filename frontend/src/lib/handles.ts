import type { InputHandle, NodeType } from '../api/types';

/** Every executable node has this output besides its own; edges may leave it when on_error is route. */
export const ERROR_HANDLE = 'error';

export interface HandleSpec {
  name: string;
  label: string;
  many?: boolean;
  required?: boolean;
  isError?: boolean;
}

const FALLBACK_INPUTS: InputHandle[] = [{ name: 'in', label: 'In', many: false, required: false }];

export function isNoteType(type: string | undefined): boolean {
  return type === 'note';
}

/** The input handles of a node of this type (a type missing from the catalog gets `in`). */
export function inputHandles(nodeType: NodeType | undefined, type?: string): HandleSpec[] {
  if (isNoteType(nodeType?.type ?? type)) return [];
  const inputs = nodeType ? nodeType.inputs : FALLBACK_INPUTS;
  return inputs.map((h) => ({
    name: h.name,
    label: h.label || h.name,
    many: Boolean(h.many),
    required: Boolean(h.required),
  }));
}

/**
 * The names `dynamic_outputs` gives for this config: one per item of
 * `config[from]`, named by the item's `key`, then the `extra` handles.
 */
export function dynamicOutputNames(nodeType: NodeType, config: Record<string, unknown> | undefined): string[] {
  const spec = nodeType.dynamic_outputs;
  if (!spec) return [];
  const names: string[] = [];
  const items = config?.[spec.from];
  if (Array.isArray(items)) {
    for (const item of items) {
      if (item && typeof item === 'object') {
        const name = (item as Record<string, unknown>)[spec.key];
        if (typeof name === 'string' && name.trim() !== '') names.push(name);
      }
    }
  }
  for (const extra of spec.extra ?? []) names.push(extra);
  return names;
}

/** Output handles: the static ones, the dynamic ones, then `error` when the type is executable. */
export function outputHandles(
  nodeType: NodeType | undefined,
  config: Record<string, unknown> | undefined,
  type?: string,
): HandleSpec[] {
  if (isNoteType(nodeType?.type ?? type)) return [];
  const seen = new Set<string>();
  const result: HandleSpec[] = [];
  const add = (name: string, label?: string) => {
    if (seen.has(name) || name === ERROR_HANDLE) return;
    seen.add(name);
    result.push({ name, label: label || name });
  };
  if (!nodeType) {
    add('out', 'Out');
  } else {
    for (const h of nodeType.outputs) add(h.name, h.label);
    for (const name of dynamicOutputNames(nodeType, config)) add(name);
  }
  const executable = nodeType ? nodeType.executable : true;
  if (executable) result.push({ name: ERROR_HANDLE, label: 'error', isError: true });
  return result;
}
