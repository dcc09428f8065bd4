import type { GraphNode } from '../api/types';

export interface RunInputField {
  key: string;
  /** Labels of the input nodes reading this key. */
  labels: string[];
  /** The first input node's `config.description` ("shown to whoever starts the run"). */
  description: string;
  /** Whether an input node gives a `config.default` for this key: then an empty field is left out. */
  hasDefault: boolean;
  defaultValue: unknown;
}

export interface RunInputForm {
  /** One field per distinct non-empty `config.key` of the input nodes, in drawing order. */
  fields: RunInputField[];
  /** Some input node has an empty key: it takes the whole inputs object, so edit it as JSON. */
  wholeObject: boolean;
  /** The flow has no input nodes. */
  none: boolean;
}

type NodeLike = Pick<GraphNode, 'type'> & { data: { label?: string; config?: Record<string, unknown> } };

export function deriveRunInputs(nodes: readonly NodeLike[]): RunInputForm {
  const fields: RunInputField[] = [];
  const byKey = new Map<string, RunInputField>();
  let wholeObject = false;
  let count = 0;
  for (const node of nodes) {
    if (node.type !== 'input') continue;
    count += 1;
    const raw = node.data.config?.key;
    const key = typeof raw === 'string' ? raw.trim() : '';
    if (!key) {
      wholeObject = true;
      continue;
    }
    let field = byKey.get(key);
    if (!field) {
      field = { key, labels: [], description: '', hasDefault: false, defaultValue: undefined };
      byKey.set(key, field);
      fields.push(field);
    }
    if (node.data.label) field.labels.push(node.data.label);
    const description = node.data.config?.description;
    if (!field.description && typeof description === 'string') field.description = description.trim();
    const fallback = node.data.config?.default;
    if (!field.hasDefault && fallback !== undefined && fallback !== null) {
      field.hasDefault = true;
      field.defaultValue = fallback;
    }
  }
  return { fields, wholeObject, none: count === 0 };
}

/** The JSON editor's starting text: the fields' keys (with previous values when known). */
export function initialInputsJson(form: RunInputForm, previous: Record<string, unknown> | null): string {
  const value: Record<string, unknown> = {};
  for (const f of form.fields) value[f.key] = previous && f.key in previous ? previous[f.key] : '';
  if (previous) for (const [k, v] of Object.entries(previous)) if (!(k in value)) value[k] = v;
  return JSON.stringify(value, null, 2);
}

/**
 * A field's text as a value: text fields stay strings; in JSON mode the text
 * must parse. Returns an error message instead when it does not.
 */
export function parseFieldValue(text: string, mode: 'text' | 'json'): { value: unknown } | { error: string } {
  if (mode === 'text') return { value: text };
  try {
    return { value: JSON.parse(text) };
  } catch (err) {
    return { error: `Not valid JSON: ${(err as Error).message}` };
  }
}

export function parseInputsObject(text: string): { value: Record<string, unknown> } | { error: string } {
  let value: unknown;
  try {
    value = text.trim() === '' ? {} : JSON.parse(text);
  } catch (err) {
    return { error: `Not valid JSON: ${(err as Error).message}` };
  }
  if (!value || typeof value !== 'object' || Array.isArray(value)) {
    return { error: 'The inputs must be a JSON object, like {"question": "..."}.' };
  }
  return { value: value as Record<string, unknown> };
}
