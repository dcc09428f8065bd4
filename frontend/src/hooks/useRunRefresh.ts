import { useEffect, useRef } from 'react';
import { getRun } from '../api/runs';
import { isLiveStatus, PARENT_TYPES } from '../lib/runDetails';
import { useRunStore, type RunState } from '../stores/runStore';

const POLL_MS = 3000;

/**
 * A run's children and total usage are not in its events: fetch the run again when a
 * node that starts child runs changes status, when the run ends, and every few seconds
 * while a child is still going (their progress shows in the parent's list).
 */
function refreshKey(s: RunState, runId: string | null): string | null {
  if (!runId || s.runId !== runId || !s.run) return null;
  const parts: string[] = [s.run.status];
  for (const node of Object.values(s.nodes)) if (PARENT_TYPES.has(node.type)) parts.push(`${node.node_id}:${node.status}`);
  return parts.join('|');
}

export function useRunRefresh(runId: string | null): void {
  const key = useRunStore((s) => refreshKey(s, runId));
  const childLive = useRunStore((s) => s.runId === runId && isLiveStatus(s.run?.status) && (s.run?.children ?? []).some((c) => isLiveStatus(c.status)));
  const seen = useRef<string | null>(null);

  useEffect(() => {
    if (!runId || key === null) return;
    // The first key is that of the run just loaded: nothing new to fetch yet.
    if (seen.current !== runId) {
      seen.current = runId;
      return;
    }
    const controller = new AbortController();
    const timer = window.setTimeout(() => {
      getRun(runId, controller.signal).then(
        (run) => useRunStore.getState().loadRun(run),
        () => undefined,
      );
    }, 300);
    return () => {
      window.clearTimeout(timer);
      controller.abort();
    };
  }, [runId, key]);

  useEffect(() => {
    if (!runId || !childLive) return;
    const timer = window.setInterval(() => {
      getRun(runId).then(
        (run) => useRunStore.getState().loadRun(run),
        () => undefined,
      );
    }, POLL_MS);
    return () => window.clearInterval(timer);
  }, [runId, childLive]);
}
