import { useNavigate } from 'react-router';
import { describeError } from '../../api/client';
import { createTeam } from '../../api/teams';
import { useSessionStore } from '../../stores/sessionStore';
import { toast } from '../../stores/toastStore';
import { PromptDialog } from '../ui/PromptDialog';

/** Asks for a name, creates the team (you own it), switches to it and opens its settings. */
export function CreateTeamDialog({ onClose }: { onClose: () => void }) {
  const navigate = useNavigate();
  const create = async (name: string) => {
    try {
      const team = await createTeam(name);
      await useSessionStore.getState().refresh();
      useSessionStore.getState().selectTeam(team.id);
      onClose();
      toast.success(`Created team “${team.name}”. You are its owner.`);
      navigate(`/teams/${team.id}`);
    } catch (err) {
      toast.error(`Team not created: ${describeError(err)}`);
    }
  };
  return <PromptDialog title="New team" label="Team name" confirmLabel="Create team" onSubmit={create} onCancel={onClose} />;
}
