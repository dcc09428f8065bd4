import { describe, expect, it } from 'vitest';
import { catalogList } from '../test/fixtures';
import { filterNodeTypes, groupByCategory } from './palette';

describe('palette', () => {
  it('groups by category in catalog order', () => {
    expect(groupByCategory(catalogList).map(([c]) => c)).toEqual(['Core', 'AI', 'Annotations']);
  });

  it('searches label, type, category and description, every word', () => {
    expect(filterNodeTypes(catalogList, 'rout').map((t) => t.type)).toEqual(['router']);
    expect(filterNodeTypes(catalogList, 'ai router').map((t) => t.type)).toEqual(['router']);
    expect(filterNodeTypes(catalogList, 'core out').map((t) => t.type)).toEqual(['output']);
    expect(filterNodeTypes(catalogList, '  ')).toHaveLength(catalogList.length);
  });
});
