import { useEffect } from 'react';
import { NavLink, Outlet, useLocation, useNavigate } from 'react-router';
import { readCookie } from '../api/client';
import { useSessionStore } from '../stores/sessionStore';
import { Toasts } from './ui/Toasts';

function TeamSwitcher() {
  const me = useSessionStore((s) => s.me);
  const teamId = useSessionStore((s) => s.teamId);
  const selectTeam = useSessionStore((s) => s.selectTeam);
  const navigate = useNavigate();
  const location = useLocation();
  if (!me || me.teams.length === 0) return null;
  return (
    <select
      className="input input--small team-switcher"
      value={teamId ?? ''}
      onChange={(e) => {
        selectTeam(Number(e.target.value));
        // A flow or run belongs to the team it was in: go to the new team's flows.
        if (/^\/(flows|runs)\//.test(location.pathname)) navigate('/');
      }}
      aria-label="Team"
      data-testid="team-switcher"
    >
      {me.teams.map((t) => (
        <option key={t.id} value={t.id}>
          {t.personal ? `${t.name} (personal)` : t.name}
        </option>
      ))}
    </select>
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
        <NavLink to="/" end className="topbar__link">
          Flows
        </NavLink>
        <NavLink to="/members" className="topbar__link">
          Members
        </NavLink>
        <NavLink to="/api-keys" className="topbar__link">
          API keys
        </NavLink>
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
