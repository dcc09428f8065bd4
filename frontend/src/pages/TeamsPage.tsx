import { useState } from 'react';
import { Link } from 'react-router';
import { useTeams } from '../api/teams/teams';
import { CreateTeamDialog } from '../components/teams/CreateTeamDialog';
import { formatRelative } from '../lib/format';
import { useSessionStore } from '../stores/sessionStore';

/** Every team you are in, with your role; create one; open one's settings. */
export function TeamsPage() {
  // Read the list again when the session's teams change (one created, left, renamed).
  const teamsKey = useSessionStore((s) => s.me?.teams.map((t) => `${t.id}:${t.name}:${t.role}`).join(',') ?? '');
  const { data: teams, error, loading } = useTeams(teamsKey);
  const teamId = useSessionStore((s) => s.teamId);
  const selectTeam = useSessionStore((s) => s.selectTeam);
  const [creating, setCreating] = useState(false);

  return (
    <div className="page page--narrow" data-testid="teams-page">
      <header className="page__header">
        <div>
          <h1>Teams</h1>
          <p className="muted">Flows, credentials, knowledge bases and keys belong to a team.</p>
        </div>
        <button type="button" className="button button--primary" onClick={() => setCreating(true)} data-testid="create-team-button">
          New team
        </button>
      </header>
      {loading && !teams && <p className="muted">Loading teams…</p>}
      {error && <p className="error-text">Could not load the teams: {error.message}</p>}
      {teams && (
        <table className="table" data-testid="teams-table">
          <thead>
            <tr>
              <th>Team</th>
              <th>Your role</th>
              <th>Created</th>
              <th aria-label="Actions" />
            </tr>
          </thead>
          <tbody>
            {teams.map((t) => (
              <tr key={t.id} data-testid="team-row" data-team-id={t.id}>
                <td>
                  <Link to={`/teams/${t.id}`} className="table__main">
                    {t.name}
                  </Link>
                  {t.personal && <span className="badge badge--muted">personal</span>}
                  {t.id === teamId && <span className="muted small"> · current</span>}
                </td>
                <td>{t.role}</td>
                <td className="muted small">{formatRelative(t.created_at)}</td>
                <td className="table__actions">
                  {t.id !== teamId && (
                    <button type="button" className="button button--small" onClick={() => selectTeam(t.id)} data-testid="switch-team">
                      Switch to
                    </button>
                  )}
                  <Link to={`/teams/${t.id}`} className="button button--small">
                    Settings
                  </Link>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {creating && <CreateTeamDialog onClose={() => setCreating(false)} />}
    </div>
  );
}
