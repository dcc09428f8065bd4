// What each role may do, mirroring accounts/roles.py. The server decides; this only
// hides or disables what would be refused anyway.
import type { ApiScope, Me, Role, Team } from '../api/types';

export type Capability =
  | 'flows.read'
  | 'flows.write'
  | 'runs.start'
  | 'credentials.use'
  | 'credentials.manage'
  | 'knowledge.write'
  | 'team.manage';

const VIEWER: Capability[] = ['flows.read'];
const RUNNER: Capability[] = [...VIEWER, 'runs.start'];
const EDITOR: Capability[] = [...RUNNER, 'flows.write', 'credentials.use', 'knowledge.write'];
const OWNER: Capability[] = [...EDITOR, 'credentials.manage', 'team.manage'];

const CAPABILITIES: Record<Role, ReadonlySet<Capability>> = {
  viewer: new Set(VIEWER),
  runner: new Set(RUNNER),
  editor: new Set(EDITOR),
  owner: new Set(OWNER),
};

export function can(role: Role | null | undefined, capability: Capability): boolean {
  return !!role && (CAPABILITIES[role]?.has(capability) ?? false);
}

/** The capability a key scope needs in its creator's role (SCOPE_NEEDS). */
const SCOPE_NEEDS: Record<ApiScope, Capability> = {
  'flows:read': 'flows.read',
  'runs:write': 'runs.start',
  'flows:write': 'flows.write',
};

export const SCOPE_LABELS: Record<ApiScope, string> = {
  'flows:read': 'Read flows and runs',
  'runs:write': 'Start and cancel runs',
  'flows:write': 'Create and change flows',
};

/** The scopes a key made by someone of this role may carry, in the API's order. */
export function scopesAllowed(role: Role | null | undefined): ApiScope[] {
  return (Object.keys(SCOPE_NEEDS) as ApiScope[]).filter((scope) => can(role, SCOPE_NEEDS[scope]));
}

/** Teams where the user may create flows (targets of a copy or a move), except one. */
export function writableTeams(me: Me | null, except?: number | null): Team[] {
  return (me?.teams ?? []).filter((t) => t.id !== except && can(t.role, 'flows.write'));
}

export function teamLabel(team: Pick<Team, 'name' | 'personal'>): string {
  return team.personal ? `${team.name} (personal)` : team.name;
}
