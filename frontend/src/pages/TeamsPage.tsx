import { useState } from 'react';
import { Link } from 'react-router';
import { useTeams } from '../api/teams';
import { CreateTeamDialog } from '../components/teams/CreateTeamDialog';
import { ResourceTable } from '../components/ui/ResourceTable';
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
      <ResourceTable
        items={teams}
        loading={loading}
        error={error}
        noun="teams"
        testId="teams-table"
        columns={[
          {
            header: 'Team',
            cell: (t) => (
              <>
                <Link to={`/teams/${t.id}`} className="table__main">
                  {t.name}
                </Link>
                {t.personal && <span className="badge badge--muted">personal</span>}
                {t.id === teamId && <span className="muted small"> · current</span>}
              </>
            ),
          },
          { header: 'Your role', cell: (t) => t.role },
          { header: 'Created', cellClassName: 'muted small', cell: (t) => formatRelative(t.created_at) },
        ]}
        rowKey={(t) => t.id}
        rowProps={(t) => ({ 'data-testid': 'team-row', 'data-team-id': t.id })}
        actions={(t) => (
          <>
            {t.id !== teamId && (
              <button type="button" className="button button--small" onClick={() => selectTeam(t.id)} data-testid="switch-team">
                Switch to
              </button>
            )}
            <Link to={`/teams/${t.id}`} className="button button--small">
              Settings
            </Link>
          </>
        )}
      />
      {creating && <CreateTeamDialog onClose={() => setCreating(false)} />}
    </div>
  );
}
