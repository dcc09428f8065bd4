import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { clearEarly, earlyKeys, startEarly, takeEarly } from '../api/early';
import { useCatalogStore } from '../stores/catalogStore';
import { useSessionStore } from '../stores/sessionStore';
import { bootRoute } from './route';
import { startBoot } from './start';

describe('the route at boot', () => {
  it('knows the canvas pages and nothing else', () => {
    expect(bootRoute('/flows/12')).toEqual({ page: 'flow', flowId: 12 });
    expect(bootRoute('/flows/12/')).toEqual({ page: 'flow', flowId: 12 });
    expect(bootRoute('/runs/4f1c-9a')).toEqual({ page: 'run', runId: '4f1c-9a' });
    expect(bootRoute('/flows/new')).toEqual({ page: 'other' });
    expect(bootRoute('/flows/12/edit')).toEqual({ page: 'other' });
    expect(bootRoute('/')).toEqual({ page: 'other' });
    expect(bootRoute('/members')).toEqual({ page: 'other' });
    expect(bootRoute('/runs/%E0%A4%A')).toEqual({ page: 'other' });
  });
});

describe('requests started early', () => {
  afterEach(() => clearEarly());

  it('are started once per key and handed over once', async () => {
    const request = vi.fn(() => Promise.resolve(42));
    const first = startEarly('k', request);
    expect(startEarly('k', request)).toBe(first);
    expect(request).toHaveBeenCalledTimes(1);
    expect(await takeEarly('k')).toBe(42);
    // Taken: the next reader fetches afresh.
    expect(takeEarly('k')).toBeUndefined();
  });

  it('keep a failure for whoever takes them, without an unhandled rejection meanwhile', async () => {
    startEarly('bad', () => Promise.reject(new Error('offline')));
    await new Promise((resolve) => setTimeout(resolve, 0));
    await expect(takeEarly('bad')).rejects.toThrow('offline');
  });
});

describe('boot', () => {
  const fetchMock = vi.fn();
  const reply = (body: unknown) => Promise.resolve(new Response(JSON.stringify(body), { status: 200 }));
  const fetched = () => fetchMock.mock.calls.map(([path]) => path as string).sort();

  beforeEach(() => {
    vi.stubGlobal('fetch', fetchMock);
    fetchMock.mockReset();
    fetchMock.mockImplementation((path: string) => {
      if (path === '/api/me/') return reply({ id: 1, username: 'ada', teams: [{ id: 3, name: 'ada', role: 'owner', personal: true }] });
      if (path === '/api/node-types/') return reply([]);
      return reply({ id: 7, graph: { nodes: [], edges: [] } });
    });
    useSessionStore.setState({ me: null, teamId: null, status: 'idle', error: null });
    useCatalogStore.setState({ types: [], byType: {}, status: 'idle', error: null });
  });
  afterEach(() => {
    vi.unstubAllGlobals();
    clearEarly();
  });

  it('on a flow, asks at once for the flow, the user, the catalog and the editor code', async () => {
    const loaders = { editorPage: vi.fn(() => Promise.resolve()), runPage: vi.fn(() => Promise.resolve()) };
    await startBoot('/flows/7', loaders);
    expect(fetched()).toEqual(['/api/flows/7/', '/api/me/', '/api/node-types/']);
    expect(loaders.editorPage).toHaveBeenCalledTimes(1);
    expect(loaders.runPage).not.toHaveBeenCalled();
    expect(await takeEarly(earlyKeys.flow(7))).toMatchObject({ id: 7 });
  });

  it('on a run, asks for the run and the run page code', async () => {
    const loaders = { editorPage: vi.fn(() => Promise.resolve()), runPage: vi.fn(() => Promise.resolve()) };
    await startBoot('/runs/abc', loaders);
    expect(fetched()).toEqual(['/api/me/', '/api/node-types/', '/api/runs/abc/']);
    expect(loaders.runPage).toHaveBeenCalledTimes(1);
    expect(takeEarly(earlyKeys.run('abc'))).toBeDefined();
  });

  it('elsewhere, asks only who is signed in', async () => {
    const loaders = { editorPage: vi.fn(() => Promise.resolve()), runPage: vi.fn(() => Promise.resolve()) };
    await startBoot('/', loaders);
    expect(fetched()).toEqual(['/api/me/']);
    expect(loaders.editorPage).not.toHaveBeenCalled();
  });

  it('renders anyway when the page code fails to load', async () => {
    const loaders = { editorPage: () => Promise.reject(new Error('chunk')), runPage: vi.fn() };
    await expect(startBoot('/flows/7', loaders)).resolves.toBeUndefined();
  });
});
