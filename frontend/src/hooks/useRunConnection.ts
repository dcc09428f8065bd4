import { useEffect } from 'react';
import { authRedirect } from '../api/client';
import { getRun } from '../api/runs';
import type { RunEvent } from '../api/types';
import { RunSocket } from '../lib/runSocket';
import { isTerminal, useRunStore } from '../stores/runStore';
import { toast } from '../stores/toastStore';

const CLOSE_AFTER_END_MS = 2000;
const POLL_MS = 3000;

/**
 * Follows run `runId` live: the websocket feeds the run store, reconnecting
 * with backoff (each reconnect resyncs from its snapshot). While the socket is
 * down the run is polled over HTTP, so statuses keep moving either way. Once
 * the run has ended the socket is closed after a short grace for late events.
 */
export function useRunConnection(runId: string | null): void {
  useEffect(() => {
    if (!runId) return;
    let closeTimer: ReturnType<typeof setTimeout> | null = null;
    let disposed = false;
    const store = () => useRunStore.getState();
    const mine = () => store().runId === runId;

    const finishIfEnded = () => {
      if (closeTimer || !mine() || !isTerminal(store().run?.status)) return;
      closeTimer = setTimeout(() => socket.stop(), CLOSE_AFTER_END_MS);
    };

    // Events arrive one per message; apply them a frame at a time so a burst
    // (hundreds of nodes finishing) is one render, not hundreds.
    let queue: RunEvent[] = [];
    let scheduled = false;
    const flush = () => {
      scheduled = false;
      const batch = queue;
      queue = [];
      if (disposed || !mine() || batch.length === 0) return;
      store().applyEvents(batch);
      finishIfEnded();
    };
    const schedule = () => {
      if (scheduled) return;
      scheduled = true;
      // requestAnimationFrame does not run in background tabs; a timer does.
      if (document.hidden || typeof requestAnimationFrame !== 'function') setTimeout(flush, 50);
      else requestAnimationFrame(flush);
    };

    const socket = new RunSocket(runId, {
      onEvent: (event) => {
        queue.push(event);
        schedule();
      },
      onState: (state) => {
        if (mine() && !disposed) store().setConnection(state);
      },
      onRefused: (code) => {
        if (code === 4401) authRedirect.go();
        else toast.error('The live view of this run was refused: the run does not exist or is not yours.');
      },
    });

    const poll = setInterval(() => {
      const s = store();
      if (!mine() || s.connection === 'open' || isTerminal(s.run?.status)) return;
      getRun(runId).then(
        (run) => {
          if (!disposed && mine()) {
            store().loadRun(run);
            finishIfEnded();
          }
        },
        () => undefined,
      );
    }, POLL_MS);

    if (isTerminal(store().run?.status) && mine()) {
      // Nothing more will happen: no socket needed.
      clearInterval(poll);
      return;
    }
    socket.start();
    return () => {
      disposed = true;
      clearInterval(poll);
      if (closeTimer) clearTimeout(closeTimer);
      socket.stop();
    };
  }, [runId]);
}
