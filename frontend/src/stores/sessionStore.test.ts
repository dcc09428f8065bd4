import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Me } from '../api/types';
import { sampleTeam } from '../test/fixtures';
import { useSessionStore } from './sessionStore';

const me = (teams: Me['teams']): Me => ({ id: 1, username: 'alice', teams });
const personal = sampleTeam({ id: 1, name: 'alice', role: 'owner', personal: true });
const ops = sampleTeam({ id: 2, name: 'Ops', role: 'owner', personal: false });

function answer(body: Me) {
  return Promise.resolve(new Response(JSON.stringify(body), { status: 200 }));
}

describe('session store refresh', () => {
  const fetchMock = vi.fn();
  beforeEach(() => {
    vi.stubGlobal('fetch', fetchMock);
    fetchMock.mockReset();
    window.localStorage.clear();
    useSessionStore.setState({ me: null, teamId: null, status: 'idle', error: null });
  });
  afterEach(() => vi.unstubAllGlobals());

  it('keeps the current team when it is still there after a refresh', async () => {
    useSessionStore.getState().setMe(me([personal, ops]));
    useSessionStore.getState().selectTeam(2);
    fetchMock.mockReturnValue(answer(me([personal, { ...ops, name: 'Operations' }])));
    await useSessionStore.getState().refresh();
    expect(useSessionStore.getState().teamId).toBe(2);
    expect(useSessionStore.getState().me?.teams[1].name).toBe('Operations');
  });

  it('falls back to the personal team when the current one is gone (deleted or left)', async () => {
    useSessionStore.getState().setMe(me([personal, ops]));
    useSessionStore.getState().selectTeam(2);
    fetchMock.mockReturnValue(answer(me([personal])));
    await useSessionStore.getState().refresh();
    expect(useSessionStore.getState().teamId).toBe(1);
  });

  it('sees a new team, which can then be selected', async () => {
    useSessionStore.getState().setMe(me([personal]));
    fetchMock.mockReturnValue(answer(me([personal, ops])));
    await useSessionStore.getState().refresh();
    useSessionStore.getState().selectTeam(2);
    expect(useSessionStore.getState().teamId).toBe(2);
    expect(window.localStorage.getItem('baton.team')).toBe('2');
  });
});
