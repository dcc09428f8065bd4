import { earlyKeys, startEarly } from '../api/early';
import { getFlow } from '../api/flows';
import { getRun } from '../api/runs';
import { useCatalogStore } from '../stores/catalogStore';
import { useSessionStore } from '../stores/sessionStore';
import { bootRoute } from './route';

export interface BootLoaders {
  editorPage: () => Promise<unknown>;
  runPage: () => Promise<unknown>;
}

/** How long the first render waits for the page's code before showing the shell anyway. */
export const PAGE_CODE_WAIT_MS = 1000;

/**
 * Starts, at once, what the first page will wait for: who is signed in, and on a
 * canvas page its flow or run, the node catalog and the page's code. Otherwise
 * those requests would begin only once the lazy page chunk had loaded and mounted.
 * Resolves (never rejects) when the page's code is in, or after PAGE_CODE_WAIT_MS:
 * rendering then shows the page at once rather than a fallback first.
 */
export function startBoot(pathname: string, loaders: BootLoaders): Promise<void> {
  const route = bootRoute(pathname);
  if (route.page === 'flow') startEarly(earlyKeys.flow(route.flowId), () => getFlow(route.flowId));
  if (route.page === 'run') startEarly(earlyKeys.run(route.runId), () => getRun(route.runId));
  if (useSessionStore.getState().status === 'idle') void useSessionStore.getState().load();
  if (route.page === 'other') return Promise.resolve();
  void useCatalogStore.getState().ensureLoaded();
  const code = (route.page === 'flow' ? loaders.editorPage() : loaders.runPage()).then(
    () => undefined,
    () => undefined, // the page's own Suspense reports it when it renders
  );
  return Promise.race([code, new Promise<void>((resolve) => setTimeout(resolve, PAGE_CODE_WAIT_MS))]);
}
