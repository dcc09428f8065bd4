// Replay mode from the editor's run bar: "Run with recorded answers" when a model node has
// no credential and the flow has a recorded run, and "Replay from run…" over the flow's
// ended runs (a shipped recording first).
import { useRecordings, useRuns } from '../../api/runs';
import type { RunLauncher } from '../../hooks/useRunLauncher';
import { needsRecordedAnswers, replaySources } from '../../lib/replay';
import { useGraphStore } from '../../stores/graphStore';

interface ReplayChoicesProps {
  flowId: number | null;
  launcher: RunLauncher;
  disabled: boolean;
}

export function ReplayChoices({ flowId, launcher, disabled }: ReplayChoicesProps) {
  const needed = useGraphStore((s) => needsRecordedAnswers(s.nodes));
  const recordings = useRecordings(flowId);
  const runs = useRuns(flowId, launcher.historyKey);
  const sources = replaySources([...(recordings.data?.results ?? []), ...(runs.data?.results ?? [])])
    .filter((run, index, all) => all.findIndex((other) => other.id === run.id) === index)
    .slice(0, 20);
  const recorded = sources[0];
  return (
    <>
      {needed && recorded && (
        <button
          type="button"
          className="button"
          onClick={() => launcher.openReplay([recorded.id])}
          disabled={disabled}
          title="No model credential is set: answer the model's requests from a recorded run, with no network and no cost"
          data-testid="run-recorded-button"
        >
          ▶ Run with recorded answers
        </button>
      )}
      {sources.length > 0 && (
        <select
          className="button"
          value=""
          disabled={disabled}
          onChange={(e) => e.target.value && launcher.openReplay([e.target.value])}
          aria-label="Replay from run"
          title="Run again with the model and HTTP requests answered from a run's recording"
          data-testid="replay-select"
        >
          <option value="">Replay from run…</option>
          {sources.map((run) => (
            <option key={run.id} value={run.id}>
              {run.trigger === 'recording' ? 'recorded example' : `${run.status} · ${new Date(run.created_at).toLocaleString()}`}
            </option>
          ))}
        </select>
      )}
    </>
  );
}
