// Running the flow from the editor: the run dialog, starting (the draft when there are
// unsaved changes), cancelling, following the run on screen, and when the run history
// should be read again.
import { useEffect, useState } from 'react';
import { describeError } from '../api/client';
import { cancelRun, resumeRun, startRun, type RunFrom } from '../api/runs';
import type { Graph, Run } from '../api/types';
import { deriveRunInputs } from '../lib/runInputs';
import { selectDirty, useGraphStore } from '../stores/graphStore';
import { isTerminal, useRunStore } from '../stores/runStore';
import { toast } from '../stores/toastStore';
import { problemsOf } from './useFlowDocument';
import { useRunConnection } from './useRunConnection';
import { useRunRefresh } from './useRunRefresh';

interface RunLauncherOptions {
  /** The flow to run; null until it has loaded. */
  flowId: number | null;
  /** The server refused the drawing (its problems are in graphStore): show them. */
  onProblems: () => void;
}

export type RunLauncher = ReturnType<typeof useRunLauncher>;

export function useRunLauncher({ flowId, onProblems }: RunLauncherOptions) {
  const [showDialog, setShowDialog] = useState(false);
  const [runId, setRunId] = useState<string | null>(null);
  const [starting, setStarting] = useState(false);
  const [started, setStarted] = useState(0);
  // Replay mode for the run the dialog starts: the runs whose recordings answer it.
  const [replay, setReplay] = useState<string[] | null>(null);
  const runStatus = useRunStore((s) => s.run?.status);
  const live = runId !== null && !isTerminal(runStatus);
  // The history is read again when a run starts from here, and when it ends.
  const historyKey = started * 2 + (runId !== null && isTerminal(runStatus) ? 1 : 0);

  useRunConnection(runId);
  useRunRefresh(runId);

  // The run on screen belongs to this flow's editor only.
  useEffect(() => {
    useRunStore.getState().clear();
    return () => useRunStore.getState().clear();
  }, []);

  /** Start a run (`begin` asks the server) and follow it on screen. */
  const follow = async (begin: (draft: Graph | undefined) => Promise<Run>) => {
    if (flowId === null) return;
    setShowDialog(false);
    const s = useGraphStore.getState();
    if (s.preview) return;
    const draft = selectDirty(s) ? s.graph() : undefined;
    setStarting(true);
    try {
      const startedRun = await begin(draft);
      const runs = useRunStore.getState();
      runs.clear();
      runs.begin(startedRun.id);
      runs.loadRun(startedRun);
      setRunId(startedRun.id);
      setStarted((n) => n + 1);
      useGraphStore.getState().setProblems([]);
    } catch (err) {
      const problems = problemsOf(err);
      if (problems) {
        useGraphStore.getState().setProblems(problems);
        onProblems();
      }
      toast.error(`The run did not start: ${describeError(err)}`);
    } finally {
      setStarting(false);
    }
  };

  const run = (inputs: Record<string, unknown>) => {
    const answers = replay ?? undefined;
    setReplay(null);
    return follow((draft) => startRun(flowId as number, inputs, draft, undefined, answers));
  };

  /**
   * Run a node and what follows it (or `only` it), reusing the other nodes' outputs from
   * the run on screen (or, with none, the flow's latest run), with that run's inputs.
   */
  const runFrom = (nodeId: string, only = false) => {
    const onScreen = useRunStore.getState();
    const from: RunFrom = { nodeId, reuseRun: onScreen.runId, only };
    return follow((draft) => startRun(flowId as number, onScreen.run?.inputs ?? {}, draft, from));
  };

  /** Resume the failed run on screen: a new run that reuses what succeeded in it. */
  const resume = () => {
    const failed = useRunStore.getState().runId;
    if (!failed) return Promise.resolve();
    return follow(() => resumeRun(failed));
  };

  /** The Run button: asks for inputs when the flow has input nodes, else runs at once. */
  const open = () => {
    setReplay(null);
    ask(null);
  };

  const ask = (answers: string[] | null) => {
    const form = deriveRunInputs(useGraphStore.getState().nodes);
    if (form.none) {
      void follow((draft) => startRun(flowId as number, {}, draft, undefined, answers ?? undefined));
      return;
    }
    setReplay(answers);
    setShowDialog(true);
  };

  /** Run in replay mode: model and HTTP requests answered from these runs' recordings. */
  const openReplay = (runIds: string[]) => ask(runIds);

  const cancel = async () => {
    if (!runId) return;
    try {
      await cancelRun(runId);
      toast.info('Cancelling the run…');
    } catch (err) {
      toast.error(describeError(err));
    }
  };

  return {
    runId, live, starting, showDialog, closeDialog: () => setShowDialog(false), open, run, runFrom, resume, cancel, historyKey,
    replay, openReplay,
  };
}
