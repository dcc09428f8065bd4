import { describe, expect, it } from 'vitest';
import { catalog } from '../test/fixtures';
import { dynamicOutputNames, inputHandles, outputHandles } from './handles';

describe('handles', () => {
  it('lists static outputs plus the error handle of an executable type', () => {
    expect(outputHandles(catalog.condition, {}).map((h) => h.name)).toEqual(['true', 'false', 'error']);
  });

  it('derives dynamic outputs from the config, then the extras', () => {
    const config = { categories: [{ name: 'billing' }, { name: 'tech' }] };
    expect(dynamicOutputNames(catalog.router, config)).toEqual(['billing', 'tech', 'other']);
    expect(outputHandles(catalog.router, config).map((h) => h.name)).toEqual(['billing', 'tech', 'other', 'error']);
  });

  it('skips unnamed, blank and duplicate categories', () => {
    const config = { categories: [{ name: 'a' }, { name: '' }, {}, null, { name: 'a' }, { name: 'other' }] };
    expect(outputHandles(catalog.router, config).map((h) => h.name)).toEqual(['a', 'other', 'error']);
  });

  it('copes with a missing or malformed list', () => {
    expect(dynamicOutputNames(catalog.router, {})).toEqual(['other']);
    expect(dynamicOutputNames(catalog.router, { categories: 'nope' })).toEqual(['other']);
  });

  it('gives a note no handles at all', () => {
    expect(inputHandles(catalog.note)).toEqual([]);
    expect(outputHandles(catalog.note, {})).toEqual([]);
  });

  it('gives a type missing from the catalog in, out and error', () => {
    expect(inputHandles(undefined, 'mystery').map((h) => h.name)).toEqual(['in']);
    expect(outputHandles(undefined, {}, 'mystery').map((h) => h.name)).toEqual(['out', 'error']);
  });

  it('marks many-valued and required inputs', () => {
    expect(inputHandles(catalog.merge)).toEqual([{ name: 'in', label: 'In', many: true, required: true }]);
  });
});
