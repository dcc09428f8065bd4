import { useEffect, useState } from 'react';
import { NavLink, Outlet, useLocation, useNavigate } from 'react-router';
import { readCookie } from '../api/client';
import { teamLabel } from '../lib/permissions';
import { useSessionStore } from '../stores/sessionStore';
import { CreateTeamDialog } from './teams/CreateTeamDialog';
import { Toasts } from './ui/Toasts';
import './Layout.css';

function TeamSwitcher() {
  const me = useSessionStore((s) => s.me);
  const teamId = useSessionStore((s) => s.teamId);
  const selectTeam = useSessionStore((s) => s.selectTeam);
  const navigate = useNavigate();
  const location = useLocation();
  const [creating, setCreating] = useState(false);
  if (!me) return null;
  return (
    <>
      {me.teams.length > 0 && (
        <select
          className="input input--small team-switcher"
          value={teamId ?? ''}
          onChange={(e) => {
            const next = Number(e.target.value);
            selectTeam(next);
            // A flow, run or knowledge base belongs to the team it was in: go to the new
            // team's list; a team's settings follow the switch.
            if (/^\/(flows|runs)\//.test(location.pathname)) navigate('/');
            else if (/^\/knowledge\/./.test(location.pathname)) navigate('/knowledge');
            else if (/^\/teams\/./.test(location.pathname)) navigate(`/teams/${next}`);
          }}
          aria-label="Team"
          data-testid="team-switcher"
        >
          {me.teams.map((t) => (
            <option key={t.id} value={t.id}>
              {teamLabel(t)}
            </option>
          ))}
        </select>
      )}
      <button
        type="button"
        className="button button--small button--quiet"
        onClick={() => setCreating(true)}
        title="Create a team"
        data-testid="new-team-button"
      >
        + Team
      </button>
      {creating && <CreateTeamDialog onClose={() => setCreating(false)} />}
    </>
  );
}

/** The current team's settings (its members are one link further). */
function TeamLink() {
  const teamId = useSessionStore((s) => s.teamId);
  const location = useLocation();
  const here = /^\/(teams|members)(\/|$)/.test(location.pathname);
  return (
    <NavLink
      to={teamId === null ? '/teams' : `/teams/${teamId}`}
      className={() => `topbar__link${here ? ' active' : ''}`}
      data-testid="nav-team"
    >
      Team
    </NavLink>
  );
}

function SignOut() {
  // A real form post: Django's LogoutView wants POST with the CSRF token.
  return (
    <form method="post" action="/logout" className="signout">
      <input type="hidden" name="csrfmiddlewaretoken" value={readCookie('csrftoken') ?? ''} />
      <button type="submit" className="button button--small button--quiet" data-testid="logout-button">
        Sign out
      </button>
    </form>
  );
}

export function Layout() {
  const me = useSessionStore((s) => s.me);
  const status = useSessionStore((s) => s.status);
  const error = useSessionStore((s) => s.error);
  const load = useSessionStore((s) => s.load);

  useEffect(() => {
    if (useSessionStore.getState().status === 'idle') void load();
  }, [load]);

  return (
    <div className="app">
      <nav className="topbar" aria-label="Main">
        <NavLink to="/" className="brand" end>
          <span className="brand__mark" aria-hidden="true" />
          Baton
        </NavLink>
        <NavLink to="/" end className="topbar__link" data-testid="nav-flows">
          Flows
        </NavLink>
        <NavLink to="/knowledge" className="topbar__link" data-testid="nav-knowledge">
          Knowledge
        </NavLink>
        <NavLink to="/credentials" className="topbar__link" data-testid="nav-credentials">
          Credentials
        </NavLink>
        <NavLink to="/api-keys" className="topbar__link" data-testid="nav-api-keys">
          API keys
        </NavLink>
        <TeamLink />
        <span className="topbar__spacer" />
        {status === 'error' && <span className="error-text small">{error}</span>}
        <TeamSwitcher />
        {me && (
          <span className="topbar__user" data-testid="current-user">
            {me.username}
          </span>
        )}
        <SignOut />
      </nav>
      <main className="app__main">
        <Outlet />
      </main>
      <Toasts />
    </div>
  );
}
