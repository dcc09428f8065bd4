import type { RJSFSchema, UiSchema } from '@rjsf/utils';
import type { JsonSchema } from '../api/types';

type S = Record<string, unknown>;

function isNullSchema(s: unknown): boolean {
  return !!s && typeof s === 'object' && (s as S).type === 'null';
}

/**
 * Pydantic's schemas made friendlier for a generated form: `Optional[X]`
 * (`anyOf: [X, {type: null}]`) becomes X marked `x-baton-nullable` (a picker
 * then offers "none"), and the root's title (the model's
 * class name) is dropped.
 */
export function simplifySchema(schema: JsonSchema | undefined): RJSFSchema {
  if (!schema || typeof schema !== 'object') return { type: 'object', properties: {} };
  const out = simplify(schema) as S;
  delete out.title;
  delete out.description;
  return out as RJSFSchema;
}

function simplify(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(simplify);
  if (!node || typeof node !== 'object') return node;
  let s: S = { ...(node as S) };
  for (const key of ['anyOf', 'oneOf'] as const) {
    const options = s[key];
    if (Array.isArray(options)) {
      const rest = options.filter((o) => !isNullSchema(o));
      if (rest.length === 1 && rest.length < options.length) {
        const { [key]: _dropped, ...outer } = s;
        void _dropped;
        s = { ...(rest[0] as S), ...outer, 'x-baton-nullable': true };
        if (s.default === null) delete s.default;
        // A picker's "none" is a null the form must accept (rjsf still draws the one type).
        if (outer['x-baton-picker'] && typeof s.type === 'string') s.type = [s.type, 'null'];
      }
    }
  }
  for (const [key, value] of Object.entries(s)) {
    if (value && typeof value === 'object') s[key] = simplify(value);
  }
  return s;
}

const MULTILINE = new Set([
  'template',
  'prompt',
  'system',
  'code',
  'body',
  'message',
  'text',
  'description',
  'expression',
]);
const CODE = new Set(['code', 'expression', 'template', 'body']);

function isFreeObject(s: S): boolean {
  const type = s.type;
  const objectish = type === 'object' || (Array.isArray(type) && type.includes('object'));
  return objectish && !s.properties && !s.$ref && !s.allOf && !s.anyOf && !s.oneOf;
}

/** Widgets for the config form: text areas for prompts and code, a JSON editor for free-form objects. */
export function deriveUiSchema(schema: RJSFSchema): UiSchema {
  const ui: UiSchema = {
    'ui:submitButtonOptions': { norender: true },
  };
  const props = (schema.properties ?? {}) as Record<string, S>;
  for (const [name, prop] of Object.entries(props)) {
    if (!prop || typeof prop !== 'object') continue;
    const explicit = (prop['ui:widget'] ?? prop['x-widget']) as string | undefined;
    if (explicit) {
      ui[name] = { 'ui:widget': explicit };
    } else if (prop.type === 'string' && !prop.enum && (MULTILINE.has(name) || prop.format === 'textarea')) {
      ui[name] = {
        'ui:widget': 'textarea',
        'ui:options': { rows: name === 'code' ? 8 : 4 },
        'ui:classNames': CODE.has(name) ? 'field--code' : undefined,
      };
    } else if (isFreeObject(prop) || (prop.type === undefined && !prop.$ref && !prop.enum && !prop.anyOf && !prop.oneOf && !prop.allOf)) {
      ui[name] = { 'ui:field': 'json' };
    }
  }
  return ui;
}
