import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { clearTeamCache } from './teams';

describe('clearing a team cache', () => {
  const fetchMock = vi.fn();
  beforeEach(() => {
    vi.stubGlobal('fetch', fetchMock);
    fetchMock.mockReset();
    fetchMock.mockImplementation(() => Promise.resolve(new Response(null, { status: 204 })));
  });
  afterEach(() => vi.unstubAllGlobals());

  it('deletes the whole team cache, or one flow of it', async () => {
    await clearTeamCache(3);
    await clearTeamCache(3, 12);
    expect(fetchMock.mock.calls.map(([path, init]) => [init.method, path])).toEqual([
      ['DELETE', '/api/teams/3/cache/'],
      ['DELETE', '/api/teams/3/cache/?flow=12'],
    ]);
  });
});
