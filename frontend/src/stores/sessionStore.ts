import { create } from 'zustand';
import { describeError } from '../api/client';
import { getMe } from '../api/me';
import type { Me, Role, Team } from '../api/types';
import { can, teamIn, type Grants } from '../lib/permissions';

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
  return teamIn(me, teamId)?.role ?? null;
}

// What the user's role in a team allows, from /api/me/ (see lib/permissions).
export const canEdit = (team: Grants | null) => can(team, 'flows.write');
export const canRun = (team: Grants | null) => can(team, 'runs.start');
