import { describe, expect, it } from 'vitest';
import { formValidator, pointerToProperty } from './formValidator';
import { deriveUiSchema, simplifySchema } from './schema';

describe('the form validator (no eval)', () => {
  const schema = {
    type: 'object',
    required: ['template'],
    properties: {
      template: { type: 'string', minLength: 1 },
      temperature: { type: 'number', maximum: 2 },
      mode: { $ref: '#/$defs/Mode' },
    },
    $defs: { Mode: { type: 'string', enum: ['list', 'object'] } },
  } as const;

  it('accepts valid data', () => {
    const result = formValidator.validateFormData({ template: 'x', temperature: 1, mode: 'list' }, schema as never);
    expect(result.errors).toEqual([]);
  });

  it('reports leaf errors at the field they belong to', () => {
    const result = formValidator.validateFormData({ temperature: 3, mode: 'tree' }, schema as never);
    const byProperty = Object.fromEntries(result.errors.map((e) => [e.property, e.name]));
    expect(byProperty).toEqual({ '.template': 'required', '.temperature': 'maximum', '.mode': 'enum' });
    expect((result.errorSchema as Record<string, { __errors?: string[] }>).template?.__errors).toEqual(['is required']);
  });

  it('resolves refs into the root schema for isValid', () => {
    const sub = { $ref: '#/$defs/Mode' };
    expect(formValidator.isValid(sub as never, 'list', schema as never)).toBe(true);
    expect(formValidator.isValid(sub as never, 'tree', schema as never)).toBe(false);
  });

  it('turns JSON pointers into rjsf property paths', () => {
    expect(pointerToProperty('#')).toBe('');
    expect(pointerToProperty('#/categories/0/name')).toBe('.categories.0.name');
  });
});

describe('schema helpers', () => {
  it('flattens pydantic optionals and drops the model title', () => {
    const s = simplifySchema({
      title: 'LlmConfig',
      type: 'object',
      properties: {
        max_tokens: { anyOf: [{ type: 'integer' }, { type: 'null' }], default: null, title: 'Max Tokens' },
        mode: { anyOf: [{ type: 'string' }, { type: 'integer' }] },
      },
    });
    expect(s.title).toBeUndefined();
    expect(s.properties).toEqual({
      max_tokens: { type: 'integer', title: 'Max Tokens', 'x-baton-nullable': true },
      mode: { anyOf: [{ type: 'string' }, { type: 'integer' }] },
    });
  });

  it('lets a nullable picker field hold null', () => {
    const s = simplifySchema({
      type: 'object',
      properties: {
        credential: { anyOf: [{ type: 'integer' }, { type: 'null' }], default: null, 'x-baton-picker': 'credential' },
      },
    });
    expect(s.properties).toEqual({
      credential: { type: ['integer', 'null'], 'x-baton-picker': 'credential', 'x-baton-nullable': true },
    });
  });

  it('picks text areas for prompts and a JSON field for free objects', () => {
    const ui = deriveUiSchema({
      type: 'object',
      properties: {
        prompt: { type: 'string' },
        model: { type: 'string' },
        headers: { type: 'object', additionalProperties: { type: 'string' } },
        json_schema: { type: 'object' },
      },
    });
    expect(ui.prompt).toMatchObject({ 'ui:widget': 'textarea' });
    expect(ui.model).toBeUndefined();
    expect(ui.headers).toEqual({ 'ui:field': 'json' });
    expect(ui.json_schema).toEqual({ 'ui:field': 'json' });
  });
});
