import { describe, expect, it } from 'vitest';
import type { Me, Team } from '../api/types';
import { sampleTeam } from '../test/fixtures';
import { can, scopesAllowed, teamLabel, writableTeams } from './permissions';

// Teams as /api/me/ answers them, one per role.
const owner = sampleTeam({ id: 1, name: 'alice', role: 'owner', personal: true });
const editor = sampleTeam({ id: 2, name: 'Ops', role: 'editor', personal: false });
const runner = sampleTeam({ id: 3, name: 'Sales', role: 'runner', personal: false });
const viewer = sampleTeam({ id: 4, name: 'Docs', role: 'viewer', personal: false });

describe('permissions', () => {
  it('gives each role what accounts/roles.py gives it', () => {
    expect(can(owner, 'team.manage')).toBe(true);
    expect(can(owner, 'credentials.manage')).toBe(true);
    expect(can(editor, 'credentials.manage')).toBe(false);
    expect(can(editor, 'credentials.use')).toBe(true);
    expect(can(editor, 'knowledge.write')).toBe(true);
    expect(can(runner, 'knowledge.write')).toBe(false);
    expect(can(runner, 'runs.start')).toBe(true);
    expect(can(viewer, 'runs.start')).toBe(false);
    expect(can(viewer, 'flows.read')).toBe(true);
    expect(can(null, 'flows.read')).toBe(false);
  });

  it('caps key scopes by role', () => {
    expect(scopesAllowed(viewer)).toEqual(['flows:read']);
    expect(scopesAllowed(runner)).toEqual(['flows:read', 'runs:write']);
    expect(scopesAllowed(editor)).toEqual(['flows:read', 'runs:write', 'flows:write']);
    expect(scopesAllowed(owner)).toEqual(['flows:read', 'runs:write', 'flows:write']);
    expect(scopesAllowed(undefined)).toEqual([]);
  });

  it('offers as targets the other teams where one may write flows', () => {
    const me: Me = {
      id: 1,
      username: 'alice',
      teams: [owner, editor, runner, viewer],
    };
    expect(writableTeams(me, 1).map((t) => t.id)).toEqual([2]);
    expect(writableTeams(me, 3).map((t) => t.id)).toEqual([1, 2]);
    expect(writableTeams(null)).toEqual([]);
    expect(teamLabel(me.teams[0])).toBe('alice (personal)');
    expect(teamLabel(me.teams[1])).toBe('Ops');
  });

  it('reads what a team allows from the answer of /api/me/, not from the role', () => {
    // The server's table decides: a role that gains a capability there gains it here too.
    const docs: Team = { ...viewer, capabilities: [...viewer.capabilities, 'flows.write'], key_scopes: ['flows:read', 'flows:write'] };
    expect(can(docs, 'flows.write')).toBe(true);
    expect(can({ ...owner, capabilities: [] }, 'team.manage')).toBe(false);
    expect(scopesAllowed(docs)).toEqual(['flows:read', 'flows:write']);
    expect(writableTeams({ id: 1, username: 'alice', teams: [docs] }).map((t) => t.id)).toEqual([4]);
  });
});
