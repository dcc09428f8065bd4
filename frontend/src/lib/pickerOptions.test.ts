import { describe, expect, it } from 'vitest';
import { buildPickerOptions, isPickerKind, pickedId } from './pickerOptions';

const credentials = [
  { id: 4, name: 'OpenAI', provider: 'openai' },
  { id: 2, name: 'Anthropic', provider: 'anthropic' },
];

describe('buildPickerOptions', () => {
  it('lists the items by name, with the provider, after "none" when nullable', () => {
    const options = buildPickerOptions('credential', credentials, { value: null, nullable: true });
    expect(options).toEqual([
      { value: null, label: '— none —' },
      { value: 2, label: 'Anthropic (anthropic)' },
      { value: 4, label: 'OpenAI (openai)' },
    ]);
  });

  it('shows a disabled placeholder instead of "none" when null is not allowed', () => {
    const options = buildPickerOptions('credential', credentials, { value: undefined, nullable: false });
    expect(options[0]).toMatchObject({ value: null, disabled: true });
    expect(options[0].label).toMatch(/choose a credential/i);
    expect(buildPickerOptions('credential', credentials, { value: 4, nullable: false })[0].value).toBe(2);
  });

  it('keeps an id the team no longer has, as missing', () => {
    const options = buildPickerOptions('knowledge_base', [{ id: 1, name: 'Help', document_count: 1 }], { value: 9, nullable: true });
    expect(options.map((o) => o.label)).toEqual(['— none —', 'Help · 1 document', 'missing (#9)']);
    expect(options[2]).toMatchObject({ value: 9, missing: true });
  });

  it('shows the stored id as itself while the list is not known', () => {
    const options = buildPickerOptions('credential', [], { value: 9, nullable: true, loaded: false });
    expect(options).toEqual([
      { value: null, label: '— none —' },
      { value: 9, label: 'credential #9' },
    ]);
  });

  it('leaves the flow being edited out of a flow picker', () => {
    const flows = [
      { id: 1, name: 'Main' },
      { id: 2, name: 'Child' },
    ];
    expect(buildPickerOptions('flow', flows, { value: null, nullable: true, excludeFlowId: 1 }).map((o) => o.value)).toEqual([null, 2]);
    const self = buildPickerOptions('flow', flows, { value: 1, nullable: true, excludeFlowId: 1 });
    expect(self.at(-1)).toMatchObject({ value: 1, label: 'this flow (#1)', missing: true });
  });

  it('filters credentials to fitting providers when asked', () => {
    const options = buildPickerOptions('credential', credentials, { value: 2, nullable: true, providers: ['openai'] });
    expect(options.map((o) => o.label)).toEqual(['— none —', 'OpenAI (openai)', 'missing (#2)']);
  });
});

describe('pickedId', () => {
  it('reads integer ids and digit strings, and nothing else', () => {
    expect(pickedId(3)).toBe(3);
    expect(pickedId(' 12 ')).toBe(12);
    expect(pickedId(null)).toBeNull();
    expect(pickedId(1.5)).toBeNull();
    expect(pickedId('abc')).toBeNull();
  });
});

describe('isPickerKind', () => {
  it('knows the three kinds', () => {
    expect(isPickerKind('flow')).toBe(true);
    expect(isPickerKind('user')).toBe(false);
  });
});
