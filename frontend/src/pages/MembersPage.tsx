import { useState, type FormEvent } from 'react';
import { ApiError, describeError } from '../api/client';
import { addMember, changeMemberRole, removeMember, useMembers } from '../api/members';
import type { Member, Role } from '../api/types';
import { ConfirmDialog } from '../components/ui/ConfirmDialog';
import { ResourceTable } from '../components/ui/ResourceTable';
import { can } from '../lib/permissions';
import { useCurrentTeam, useSessionStore } from '../stores/sessionStore';
import { toast } from '../stores/toastStore';
import './MembersPage.css';

const ROLES: Role[] = ['owner', 'editor', 'runner', 'viewer'];

export function MembersPage() {
  const teamId = useSessionStore((s) => s.teamId);
  const me = useSessionStore((s) => s.me);
  const team = useCurrentTeam();
  const { data, error, loading, reload } = useMembers(teamId);
  const [username, setUsername] = useState('');
  const [role, setRole] = useState<Role>('editor');
  const [removing, setRemoving] = useState<Member | null>(null);
  const isOwner = can(team, 'team.manage');
  const notThere = error instanceof ApiError && error.status === 404;

  const add = async (e: FormEvent) => {
    e.preventDefault();
    if (!teamId || !username.trim()) return;
    try {
      await addMember(teamId, username.trim(), role);
      setUsername('');
      toast.success(`Added ${username.trim()}.`);
      reload();
    } catch (err) {
      toast.error(`Not added: ${describeError(err)}`);
    }
  };

  const change = async (member: Member, next: Role) => {
    if (!teamId) return;
    try {
      await changeMemberRole(teamId, member.username, next);
      reload();
    } catch (err) {
      toast.error(`Role not changed: ${describeError(err)}`);
    }
  };

  const remove = async (member: Member) => {
    if (!teamId) return;
    try {
      await removeMember(teamId, member.username);
      setRemoving(null);
      reload();
    } catch (err) {
      toast.error(`Not removed: ${describeError(err)}`);
    }
  };

  return (
    <div className="page page--narrow" data-testid="members-page">
      <header className="page__header">
        <div>
          <h1>Members</h1>
          {team && <p className="muted">{team.name}</p>}
        </div>
      </header>
      <ResourceTable
        items={data}
        loading={loading}
        error={error}
        noun="members"
        errorMessage={(err) =>
          notThere ? (
            <p className="muted" data-testid="members-unavailable">
              Team members cannot be managed here yet.
            </p>
          ) : (
            <p className="error-text">{err.message}</p>
          )
        }
        testId="members-table"
        columns={[
          {
            header: 'User',
            cell: (m) => (
              <>
                {m.username}
                {m.username === me?.username && <span className="muted small"> (you)</span>}
              </>
            ),
          },
          {
            header: 'Role',
            cell: (m) =>
              isOwner ? (
                <select
                  className="input input--small"
                  value={m.role}
                  onChange={(e) => void change(m, e.target.value as Role)}
                  aria-label={`Role of ${m.username}`}
                >
                  {ROLES.map((r) => (
                    <option key={r} value={r}>
                      {r}
                    </option>
                  ))}
                </select>
              ) : (
                m.role
              ),
          },
        ]}
        rowKey={(m) => m.username}
        rowProps={() => ({ 'data-testid': 'member-row' })}
        actions={(m) =>
          isOwner && (
            <button type="button" className="button button--small button--ghost-danger" onClick={() => setRemoving(m)}>
              Remove
            </button>
          )
        }
      />
      {isOwner && !notThere && (
        <form className="hstack gap form-inline" onSubmit={add} data-testid="add-member-form">
          <input className="input" placeholder="Username" value={username} onChange={(e) => setUsername(e.target.value)} aria-label="Username" />
          <select className="input" value={role} onChange={(e) => setRole(e.target.value as Role)} aria-label="Role">
            {ROLES.map((r) => (
              <option key={r} value={r}>
                {r}
              </option>
            ))}
          </select>
          <button type="submit" className="button button--primary" disabled={!username.trim()}>
            Add member
          </button>
        </form>
      )}
      {removing && (
        <ConfirmDialog title="Remove member?" confirmLabel="Remove" danger onConfirm={() => void remove(removing)} onCancel={() => setRemoving(null)}>
          <p>
            {removing.username} will lose access to this team’s flows.
          </p>
        </ConfirmDialog>
      )}
    </div>
  );
}
