import { useId, useState, type FormEvent } from 'react';
import { useNavigate } from 'react-router';
import { describeError } from '../../api/client';
import { copyFlow, moveFlow } from '../../api/flows';
import type { Flow, FlowSummary, Team } from '../../api/types';
import { can, teamIn, teamLabel, writableTeams } from '../../lib/permissions';
import { useSessionStore } from '../../stores/sessionStore';
import { Dialog } from '../ui/Dialog';

interface Props {
  flow: FlowSummary;
  /** Called after a move or copy succeeded (the list changes). */
  onDone: () => void;
  onClose: () => void;
}

type Result = { action: 'copy' | 'move'; flow: Flow; team: Team };

/**
 * Copy a flow into another team (reading it is enough), or move it there (writing in
 * both teams). Afterwards says where it went, with a way to open it there.
 */
export function MoveCopyFlowDialog({ flow, onDone, onClose }: Props) {
  const ids = useId();
  const me = useSessionStore((s) => s.me);
  const selectTeam = useSessionStore((s) => s.selectTeam);
  const navigate = useNavigate();
  const targets = writableTeams(me, flow.team);
  const mayMove = can(teamIn(me, flow.team), 'flows.write');
  const [action, setAction] = useState<'copy' | 'move'>('copy');
  const [targetId, setTargetId] = useState<number | null>(targets[0]?.id ?? null);
  const [name, setName] = useState(flow.name);
  const [problem, setProblem] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [result, setResult] = useState<Result | null>(null);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const team = targets.find((t) => t.id === targetId);
    if (!team) return setProblem('Choose the team.');
    if (action === 'copy' && !name.trim()) return setProblem('The copy needs a name.');
    setBusy(true);
    setProblem(null);
    try {
      const done =
        action === 'copy' ? await copyFlow(flow.id, { team: team.id, name: name.trim() }) : await moveFlow(flow.id, team.id);
      setResult({ action, flow: done, team });
      onDone();
    } catch (err) {
      setProblem(describeError(err));
    } finally {
      setBusy(false);
    }
  };

  const openThere = (r: Result) => {
    selectTeam(r.team.id);
    navigate(`/flows/${r.flow.id}`);
  };
  const showTeam = (r: Result) => {
    selectTeam(r.team.id);
    onClose();
    navigate('/');
  };

  if (result) {
    return (
      <Dialog
        title={result.action === 'copy' ? 'Flow copied' : 'Flow moved'}
        onClose={onClose}
        testId="move-copy-result"
        footer={
          <>
            <button type="button" className="button" onClick={onClose}>
              Close
            </button>
            <button type="button" className="button" onClick={() => showTeam(result)} data-testid="show-target-team">
              Go to {teamLabel(result.team)}
            </button>
            <button type="button" className="button button--primary" onClick={() => openThere(result)} data-testid="open-moved-flow" data-autofocus>
              Open the flow
            </button>
          </>
        }
      >
        <p data-testid="move-copy-summary">
          {result.action === 'copy'
            ? `“${flow.name}” was copied to ${teamLabel(result.team)} as “${result.flow.name}”.`
            : `“${result.flow.name}” now belongs to ${teamLabel(result.team)}.`}
        </p>
      </Dialog>
    );
  }

  return (
    <Dialog title={`Copy or move “${flow.name}”`} onClose={onClose} testId="move-copy-dialog">
      {targets.length === 0 ? (
        <>
          <p data-testid="no-target-teams">
            You have no other team where you may create flows. Create a team, or ask an owner to make you an editor.
          </p>
          <div className="dialog__actions">
            <button type="button" className="button" onClick={onClose}>
              Close
            </button>
          </div>
        </>
      ) : (
        <form onSubmit={submit} noValidate>
          <fieldset className="fieldset">
            <legend className="field__label">Action</legend>
            <label className="check">
              <input type="radio" name={`${ids}-action`} checked={action === 'copy'} onChange={() => setAction('copy')} data-testid="action-copy" />
              Copy: the other team gets its own copy of the draft; this one stays
            </label>
            <label className={`check${mayMove ? '' : ' check--disabled'}`}>
              <input
                type="radio"
                name={`${ids}-action`}
                checked={action === 'move'}
                onChange={() => setAction('move')}
                disabled={!mayMove}
                data-testid="action-move"
              />
              Move: the flow leaves this team for the other one
              {!mayMove && <span className="muted small"> — only editors and owners of this team may move it</span>}
            </label>
          </fieldset>
          <label className="field">
            <span className="field__label">To team</span>
            <select className="input" value={targetId ?? ''} onChange={(e) => setTargetId(Number(e.target.value))} data-testid="target-team">
              {targets.map((t) => (
                <option key={t.id} value={t.id}>
                  {teamLabel(t)} — {t.role}
                </option>
              ))}
            </select>
          </label>
          {action === 'copy' && (
            <label className="field">
              <span className="field__label">Name of the copy</span>
              <input className="input" value={name} onChange={(e) => setName(e.target.value)} maxLength={200} data-testid="copy-name" />
            </label>
          )}
          {action === 'move' && (
            <p className="muted small">
              Credentials and knowledge bases chosen in its nodes belong to this team: choose the other team’s in the editor.
              This team’s API keys limited to this flow lose it.
            </p>
          )}
          {problem && (
            <p className="error-text" role="alert" data-testid="move-copy-error">
              {problem}
            </p>
          )}
          <div className="dialog__actions">
            <button type="button" className="button" onClick={onClose}>
              Cancel
            </button>
            <button type="submit" className="button button--primary" disabled={busy} data-testid="move-copy-submit">
              {busy ? 'Working…' : action === 'copy' ? 'Copy' : 'Move'}
            </button>
          </div>
        </form>
      )}
    </Dialog>
  );
}
