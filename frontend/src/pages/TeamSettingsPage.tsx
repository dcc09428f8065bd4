import { useEffect, useState, type FormEvent } from 'react';
import { Link, useNavigate, useParams } from 'react-router';
import { ApiError, describeError } from '../api/client';
import { removeMember } from '../api/members';
import { clearTeamCache, deleteTeam, getWebhookSecret, patchTeam, rotateWebhookSecret, useTeam } from '../api/teams';
import type { TeamDetail } from '../api/types';
import { ConfirmDialog } from '../components/ui/ConfirmDialog';
import { copyText } from '../components/ui/copyText';
import { can, teamIn } from '../lib/permissions';
import { useSessionStore } from '../stores/sessionStore';
import { toast } from '../stores/toastStore';

/** A team's settings: name and run cap, webhook secret, node output cache, members, leaving and deleting. */
export function TeamSettingsPage() {
  const { id } = useParams();
  const teamId = Number(id);
  const valid = Number.isInteger(teamId) && teamId > 0;
  const me = useSessionStore((s) => s.me);
  const currentTeamId = useSessionStore((s) => s.teamId);
  const selectTeam = useSessionStore((s) => s.selectTeam);
  const { data: team, error, loading, setData } = useTeam(valid ? teamId : null);
  const navigate = useNavigate();
  const [confirm, setConfirm] = useState<'delete' | 'leave' | null>(null);
  const [busy, setBusy] = useState(false);

  // The settings shown are the current team's: the switcher follows the page.
  const isMine = !!me?.teams.some((t) => t.id === teamId);
  useEffect(() => {
    if (isMine && currentTeamId !== teamId) selectTeam(teamId);
  }, [isMine, currentTeamId, teamId, selectTeam]);

  if (!valid) return <p className="pad error-text">No such team.</p>;

  const isOwner = can(team ?? teamIn(me, teamId), 'team.manage');

  const afterLeaving = async (message: string) => {
    toast.success(message);
    await useSessionStore.getState().refresh();
    navigate('/teams');
  };

  const remove = async () => {
    if (!team) return;
    setBusy(true);
    try {
      await deleteTeam(team.id);
      setConfirm(null);
      await afterLeaving(`Deleted team “${team.name}”.`);
    } catch (err) {
      setConfirm(null);
      toast.error(`Team not deleted: ${describeError(err)}`);
    } finally {
      setBusy(false);
    }
  };

  const leave = async () => {
    if (!team || !me) return;
    setBusy(true);
    try {
      await removeMember(team.id, me.username);
      setConfirm(null);
      await afterLeaving(`You left “${team.name}”.`);
    } catch (err) {
      setConfirm(null);
      toast.error(`Not left: ${describeError(err)}`);
    } finally {
      setBusy(false);
    }
  };

  return (
    <div className="page page--narrow" data-testid="team-settings-page">
      <header className="page__header">
        <div>
          <p className="small">
            <Link to="/teams">Teams</Link> /
          </p>
          <h1 data-testid="team-title">{team?.name ?? 'Team'}</h1>
          {team && (
            <p className="muted">
              {team.personal ? 'Personal team' : 'Team'} · you are {team.role} · {team.member_count}{' '}
              {team.member_count === 1 ? 'member' : 'members'}
            </p>
          )}
        </div>
        {team && (
          <Link to="/members" className="button" data-testid="team-members-link">
            {isOwner ? 'Manage members' : 'See members'}
          </Link>
        )}
      </header>
      {loading && !team && <p className="muted">Loading the team…</p>}
      {error && (
        <p className="error-text">
          {error instanceof ApiError && error.status === 404 ? 'No such team, or you are not in it.' : error.message}
        </p>
      )}
      {team && (
        <>
          <GeneralSection key={team.id} team={team} editable={isOwner} onSaved={setData} />
          {isOwner && <WebhookSecretSection key={team.id} teamId={team.id} />}
          {isOwner && <CacheSection key={`cache:${team.id}`} teamId={team.id} />}
          <section className="section" aria-labelledby="danger-title">
            <h2 id="danger-title">{isOwner ? 'Danger zone' : 'Leave'}</h2>
            {team.personal && isOwner ? (
              <p className="muted small">A personal team cannot be left or deleted.</p>
            ) : (
              <div className="hstack gap">
                <button type="button" className="button" onClick={() => setConfirm('leave')} data-testid="leave-team">
                  Leave team
                </button>
                {isOwner && !team.personal && (
                  <button type="button" className="button button--danger" onClick={() => setConfirm('delete')} data-testid="delete-team">
                    Delete team
                  </button>
                )}
              </div>
            )}
            {isOwner && !team.personal && (
              <p className="muted small">Only a team without flows can be deleted: move or delete its flows first.</p>
            )}
          </section>
        </>
      )}
      {confirm === 'delete' && team && (
        <ConfirmDialog title="Delete this team?" confirmLabel="Delete team" danger busy={busy} onConfirm={() => void remove()} onCancel={() => setConfirm(null)}>
          <p>
            “{team.name}”, its members’ access, credentials, knowledge bases and API keys will be deleted. This cannot be undone.
          </p>
        </ConfirmDialog>
      )}
      {confirm === 'leave' && team && (
        <ConfirmDialog title="Leave this team?" confirmLabel="Leave" danger busy={busy} onConfirm={() => void leave()} onCancel={() => setConfirm(null)}>
          <p>You will lose access to “{team.name}” until an owner adds you again.</p>
        </ConfirmDialog>
      )}
    </div>
  );
}

function GeneralSection({ team, editable, onSaved }: { team: TeamDetail; editable: boolean; onSaved: (t: TeamDetail) => void }) {
  const [name, setName] = useState(team.name);
  const [cap, setCap] = useState(String(team.max_active_runs));
  const [saving, setSaving] = useState(false);
  const [problem, setProblem] = useState<string | null>(null);
  const capNumber = Number(cap);
  const capValid = cap.trim() !== '' && Number.isInteger(capNumber) && capNumber >= 0 && capNumber <= 100_000;
  const changed = name.trim() !== team.name || cap.trim() !== String(team.max_active_runs);

  const save = async (e: FormEvent) => {
    e.preventDefault();
    if (!name.trim()) return setProblem('The team needs a name.');
    if (!capValid) return setProblem('The cap must be a whole number from 0 to 100000.');
    setSaving(true);
    setProblem(null);
    try {
      const saved = await patchTeam(team.id, { name: name.trim(), max_active_runs: capNumber });
      onSaved(saved);
      await useSessionStore.getState().refresh();
      toast.success('Team settings saved.');
    } catch (err) {
      setProblem(describeError(err));
    } finally {
      setSaving(false);
    }
  };

  return (
    <section className="section" aria-labelledby="general-title">
      <h2 id="general-title">General</h2>
      <form onSubmit={save} data-testid="team-settings-form" noValidate>
        <label className="field">
          <span className="field__label">Name</span>
          <input
            className="input"
            value={name}
            onChange={(e) => setName(e.target.value)}
            disabled={!editable}
            maxLength={100}
            data-testid="team-name-input"
          />
        </label>
        <label className="field">
          <span className="field__label">Runs in progress at once</span>
          <input
            className="input input--narrow"
            type="number"
            min={0}
            max={100000}
            step={1}
            value={cap}
            onChange={(e) => setCap(e.target.value)}
            disabled={!editable}
            aria-describedby="cap-help"
            data-testid="team-cap-input"
          />
          <span id="cap-help" className="muted small">
            0 means no cap. Further runs wait in line as pending and start in order when one ends; runs started by sub-flow and
            map nodes do not count.
          </span>
        </label>
        {problem && (
          <p className="error-text" role="alert" data-testid="team-settings-error">
            {problem}
          </p>
        )}
        {editable ? (
          <button type="submit" className="button button--primary" disabled={saving || !changed} data-testid="team-settings-save">
            {saving ? 'Saving…' : 'Save'}
          </button>
        ) : (
          <p className="muted small">Only owners change the team’s settings.</p>
        )}
      </form>
    </section>
  );
}

function WebhookSecretSection({ teamId }: { teamId: number }) {
  const [secret, setSecret] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [confirmRotate, setConfirmRotate] = useState(false);

  const reveal = async () => {
    setBusy(true);
    try {
      setSecret(await getWebhookSecret(teamId));
    } catch (err) {
      toast.error(`Secret not read: ${describeError(err)}`);
    } finally {
      setBusy(false);
    }
  };

  const rotate = async () => {
    setBusy(true);
    try {
      setSecret(await rotateWebhookSecret(teamId));
      setConfirmRotate(false);
      toast.success('New webhook secret: callbacks are signed with it from now on.');
    } catch (err) {
      toast.error(`Secret not rotated: ${describeError(err)}`);
    } finally {
      setBusy(false);
    }
  };

  return (
    <section className="section" aria-labelledby="webhook-title">
      <h2 id="webhook-title">Webhook secret</h2>
      <p className="muted small">
        Run callbacks carry <code>X-Baton-Signature: sha256=&lt;HMAC-SHA256 of the body under this secret&gt;</code>.
      </p>
      <div className="hstack gap">
        {secret ? (
          <>
            <code className="secret" data-testid="webhook-secret">
              {secret}
            </code>
            <button
              type="button"
              className="button button--small"
              onClick={() => void copyText(secret).then((ok) => (ok ? toast.success('Copied.') : toast.error('Could not copy.')))}
            >
              Copy
            </button>
            <button type="button" className="button button--small" onClick={() => setSecret(null)}>
              Hide
            </button>
          </>
        ) : (
          <button type="button" className="button button--small" onClick={() => void reveal()} disabled={busy} data-testid="reveal-webhook-secret">
            Reveal
          </button>
        )}
        <button type="button" className="button button--small" onClick={() => setConfirmRotate(true)} disabled={busy} data-testid="rotate-webhook-secret">
          Rotate…
        </button>
      </div>
      {confirmRotate && (
        <ConfirmDialog title="Rotate the webhook secret?" confirmLabel="Rotate" danger busy={busy} onConfirm={() => void rotate()} onCancel={() => setConfirmRotate(false)}>
          <p>Callbacks are signed with the new secret at once; receivers checking the old one will reject them until updated.</p>
        </ConfirmDialog>
      )}
    </section>
  );
}

/** Owners throw away the outputs that nodes with "Cache outputs" kept: their next runs pay again. */
function CacheSection({ teamId }: { teamId: number }) {
  const [busy, setBusy] = useState(false);
  const [confirmClear, setConfirmClear] = useState(false);

  const clear = async () => {
    setBusy(true);
    try {
      await clearTeamCache(teamId);
      setConfirmClear(false);
      toast.success('Cache cleared: cached nodes execute again on their next runs.');
    } catch (err) {
      toast.error(`Cache not cleared: ${describeError(err)}`);
    } finally {
      setBusy(false);
    }
  };

  return (
    <section className="section" aria-labelledby="cache-title">
      <h2 id="cache-title">Node output cache</h2>
      <p className="muted small">
        Nodes with “Cache outputs” on answer a request they have answered before from the kept output, at no cost.
      </p>
      <button type="button" className="button button--small" onClick={() => setConfirmClear(true)} disabled={busy} data-testid="clear-cache">
        Clear cache…
      </button>
      {confirmClear && (
        <ConfirmDialog title="Clear the team’s cache?" confirmLabel="Clear cache" danger busy={busy} onConfirm={() => void clear()} onCancel={() => setConfirmClear(false)}>
          <p>Every flow’s cached outputs are thrown away; their nodes execute (and cost) again on the next runs.</p>
        </ConfirmDialog>
      )}
    </section>
  );
}
