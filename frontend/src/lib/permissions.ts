// What the signed-in user may do in a team, as /api/me/ says it: each team there carries
// the `capabilities` of the user's role and the `key_scopes` their API keys may carry,
// from the one role table (accounts/roles.py). The editor keeps no copy of that table.
// The server decides; this only hides or disables what would be refused anyway.
import type { ApiScope, Me, Team } from '../api/types';

/** The capabilities the editor asks about (accounts/roles.py's `Capability`). */
export type Capability =
  | 'flows.read'
  | 'flows.write'
  | 'runs.read'
  | 'runs.start'
  | 'runs.cancel'
  | 'credentials.use'
  | 'credentials.manage'
  | 'knowledge.write'
  | 'team.read'
  | 'team.manage'
  | 'api_keys.create';

/** A team as /api/me/ (or /api/teams/) answers it: what the user may do there. */
export type Grants = Pick<Team, 'capabilities' | 'key_scopes'>;

/** Whether the user's role in `team` allows this; false while the team is unknown. */
export function can(team: Grants | null | undefined, capability: Capability): boolean {
  return !!team && team.capabilities.includes(capability);
}

export const SCOPE_LABELS: Record<ApiScope, string> = {
  'flows:read': 'Read flows and runs',
  'runs:write': 'Start and cancel runs',
  'flows:write': 'Create and change flows',
};

/** The scopes a key made by this user in `team` may carry, in the API's order. */
export function scopesAllowed(team: Grants | null | undefined): ApiScope[] {
  return team ? [...team.key_scopes] : [];
}

/** The user's team of this id, or null (not signed in yet, or not a member). */
export function teamIn(me: Me | null, teamId: number | null | undefined): Team | null {
  if (!me || teamId === null || teamId === undefined) return null;
  return me.teams.find((t) => t.id === teamId) ?? null;
}

/** Teams where the user may create flows (targets of a copy or a move), except one. */
export function writableTeams(me: Me | null, except?: number | null): Team[] {
  return (me?.teams ?? []).filter((t) => t.id !== except && can(t, 'flows.write'));
}

export function teamLabel(team: Pick<Team, 'name' | 'personal'>): string {
  return team.personal ? `${team.name} (personal)` : team.name;
}
