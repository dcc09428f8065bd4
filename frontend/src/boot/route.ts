/** The page a path opens, as far as the boot code needs to know it. */
export type BootRoute = { page: 'flow'; flowId: number } | { page: 'run'; runId: string } | { page: 'other' };

export function bootRoute(pathname: string): BootRoute {
  const flow = /^\/flows\/(\d+)\/?$/.exec(pathname);
  if (flow) return { page: 'flow', flowId: Number(flow[1]) };
  const run = /^\/runs\/([^/]+)\/?$/.exec(pathname);
  if (run) {
    try {
      return { page: 'run', runId: decodeURIComponent(run[1]) };
    } catch {
      return { page: 'other' };
    }
  }
  return { page: 'other' };
}
