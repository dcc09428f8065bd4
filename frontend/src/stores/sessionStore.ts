import { create } from 'zustand';
import { describeError } from '../api/client';
import { getMe } from '../api/me/getMe';
import type { Me, Role, Team } from '../api/types';

const TEAM_KEY = 'baton.team';

interface SessionState {
  me: Me | null;
  teamId: number | null;
  status: 'idle' | 'loading' | 'ready' | 'error';
  error: string | null;
  load: () => Promise<void>;
  /** Read /api/me/ again after teams changed (created, renamed, left, deleted). */
  refresh: () => Promise<void>;
  setMe: (me: Me) => void;
  selectTeam: (teamId: number) => void;
}

function storedTeam(): number | null {
  try {
    const raw = window.localStorage.getItem(TEAM_KEY);
    return raw ? Number(raw) : null;
  } catch {
    return null;
  }
}

export function pickTeam(me: Me, wanted: number | null): number | null {
  if (wanted !== null && me.teams.some((t) => t.id === wanted)) return wanted;
  const personal = me.teams.find((t) => t.personal);
  return (personal ?? me.teams[0])?.id ?? null;
}

export const useSessionStore = create<SessionState>()((set, get) => ({
  me: null,
  teamId: null,
  status: 'idle',
  error: null,
  load: async () => {
    if (get().status === 'loading') return;
    set({ status: 'loading', error: null });
    try {
      get().setMe(await getMe());
    } catch (err) {
      set({ status: 'error', error: describeError(err) });
    }
  },
  refresh: async () => {
    try {
      get().setMe(await getMe());
    } catch (err) {
      set({ error: describeError(err) });
    }
  },
  setMe: (me) => set({ me, teamId: pickTeam(me, get().teamId ?? storedTeam()), status: 'ready', error: null }),
  selectTeam: (teamId) => {
    try {
      window.localStorage.setItem(TEAM_KEY, String(teamId));
    } catch {
      /* private mode: the choice lasts for this page only */
    }
    set({ teamId });
  },
}));

export function useCurrentTeam(): Team | null {
  return useSessionStore((s) => s.me?.teams.find((t) => t.id === s.teamId) ?? null);
}

export function roleIn(me: Me | null, teamId: number | null | undefined): Role | null {
  if (!me || teamId === null || teamId === undefined) return null;
  return me.teams.find((t) => t.id === teamId)?.role ?? null;
}

export const canEdit = (role: Role | null) => role === 'owner' || role === 'editor';
export const canRun = (role: Role | null) => role === 'owner' || role === 'editor' || role === 'runner';
