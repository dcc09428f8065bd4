import { describe, expect, it } from 'vitest';
import { deriveRunInputs, initialInputsJson, parseFieldValue, parseInputsObject } from './runInputs';

const input = (key: unknown, label = 'In') => ({ type: 'input', data: { label, config: { key } } });

describe('run inputs dialog fields', () => {
  it('gives one field per distinct key, in drawing order', () => {
    const form = deriveRunInputs([
      input('question', 'Question'),
      { type: 'template', data: { label: 't', config: {} } },
      input('context', 'Context'),
      input('question', 'Question again'),
    ]);
    expect(form.fields.map(({ key, labels }) => ({ key, labels }))).toEqual([
      { key: 'question', labels: ['Question', 'Question again'] },
      { key: 'context', labels: ['Context'] },
    ]);
    expect(form.wholeObject).toBe(false);
    expect(form.none).toBe(false);
  });

  it('switches to a JSON editor when an input node has an empty key', () => {
    const form = deriveRunInputs([input('question'), input('  ')]);
    expect(form.wholeObject).toBe(true);
    expect(form.fields.map((f) => f.key)).toEqual(['question']);
    expect(JSON.parse(initialInputsJson(form, null))).toEqual({ question: '' });
  });

  it('treats a missing or non-string key as empty', () => {
    expect(deriveRunInputs([input(undefined)]).wholeObject).toBe(true);
    expect(deriveRunInputs([input(3)]).wholeObject).toBe(true);
  });

  it('carries the input node description and default', () => {
    const form = deriveRunInputs([
      { type: 'input', data: { label: 'Q', config: { key: 'q', description: 'What to ask', default: 'hello' } } },
      { type: 'input', data: { label: 'L', config: { key: 'lang', default: null } } },
    ]);
    expect(form.fields[0]).toMatchObject({ description: 'What to ask', hasDefault: true, defaultValue: 'hello' });
    expect(form.fields[1]).toMatchObject({ description: '', hasDefault: false });
  });

  it('knows when a flow has no inputs', () => {
    expect(deriveRunInputs([{ type: 'template', data: { config: {} } }]).none).toBe(true);
  });

  it('prefills the JSON editor with the previous inputs', () => {
    const form = deriveRunInputs([input('q'), input('')]);
    expect(JSON.parse(initialInputsJson(form, { q: 'again', extra: [1] }))).toEqual({ q: 'again', extra: [1] });
  });

  it('parses field values by mode', () => {
    expect(parseFieldValue('42', 'text')).toEqual({ value: '42' });
    expect(parseFieldValue('42', 'json')).toEqual({ value: 42 });
    expect(parseFieldValue('{oops', 'json')).toHaveProperty('error');
  });

  it('wants a JSON object for the whole inputs', () => {
    expect(parseInputsObject('{"a": 1}')).toEqual({ value: { a: 1 } });
    expect(parseInputsObject('')).toEqual({ value: {} });
    expect(parseInputsObject('[1]')).toHaveProperty('error');
    expect(parseInputsObject('nope')).toHaveProperty('error');
  });
});
