import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ApiError, authRedirect, isNotSignedIn, itemsOf, loginUrl, readCookie, request, requestAll } from './client';

function reply(status: number, body: unknown) {
  return Promise.resolve(new Response(body === undefined ? '' : JSON.stringify(body), { status }));
}

describe('api client', () => {
  const fetchMock = vi.fn();
  beforeEach(() => {
    vi.stubGlobal('fetch', fetchMock);
    fetchMock.mockReset();
    document.cookie = 'csrftoken=tok123';
  });
  afterEach(() => vi.unstubAllGlobals());

  it('sends the CSRF token and same-origin credentials on unsafe methods', async () => {
    fetchMock.mockReturnValue(reply(200, { ok: true }));
    await request('PUT', '/api/flows/1/', { a: 1 });
    const [path, init] = fetchMock.mock.calls[0];
    expect(path).toBe('/api/flows/1/');
    expect(init.credentials).toBe('same-origin');
    expect(init.headers['X-CSRFToken']).toBe('tok123');
    expect(init.headers['Content-Type']).toBe('application/json');
    expect(init.body).toBe('{"a":1}');
  });

  it('sends FormData as it is, leaving its multipart type to the browser', async () => {
    fetchMock.mockReturnValue(reply(201, { id: 1 }));
    const form = new FormData();
    form.append('file', new Blob(['# Hi']), 'hi.md');
    await request('POST', '/api/knowledge-bases/1/documents/', form);
    const init = fetchMock.mock.calls[0][1];
    expect(init.body).toBe(form);
    expect(init.headers['Content-Type']).toBeUndefined();
    expect(init.headers['X-CSRFToken']).toBe('tok123');
  });

  it('does not send the token on GET', async () => {
    fetchMock.mockReturnValue(reply(200, []));
    await request('GET', '/api/flows/');
    expect(fetchMock.mock.calls[0][1].headers['X-CSRFToken']).toBeUndefined();
  });

  it('throws ApiError with the body and its message', async () => {
    fetchMock.mockReturnValue(reply(409, { error: 'stale', revision: 7, updated_by: 'bob' }));
    const err = (await request('PUT', '/api/flows/1/', {}).catch((e: unknown) => e)) as ApiError;
    expect(err).toBeInstanceOf(ApiError);
    expect(err.status).toBe(409);
    expect(err.message).toBe('stale');
    expect(err.body.updated_by).toBe('bob');
  });

  it('sends the browser to /login when not signed in', async () => {
    const go = vi.spyOn(authRedirect, 'go').mockImplementation(() => undefined);
    fetchMock.mockReturnValue(reply(401, { error: 'not signed in' }));
    await request('GET', '/api/me/').catch(() => undefined);
    fetchMock.mockReturnValue(reply(403, { detail: 'Authentication credentials were not provided.' }));
    await request('GET', '/api/me/').catch(() => undefined);
    fetchMock.mockReturnValue(reply(403, { error: 'your role does not allow this' }));
    await request('GET', '/api/me/').catch(() => undefined);
    expect(go).toHaveBeenCalledTimes(2);
    go.mockRestore();
  });

  it('follows next links to read a whole paginated list', async () => {
    fetchMock
      .mockReturnValueOnce(reply(200, { count: 3, next: 'http://localhost:3000/api/flows/?page=2', previous: null, results: [1, 2] }))
      .mockReturnValueOnce(reply(200, { count: 3, next: null, previous: null, results: [3] }));
    expect(await requestAll<number>('/api/flows/')).toEqual([1, 2, 3]);
    expect(fetchMock.mock.calls[1][0]).toBe('/api/flows/?page=2');
  });

  it('takes a plain list as it is', async () => {
    fetchMock.mockReturnValueOnce(reply(200, [1]));
    expect(await requestAll<number>('/api/x/')).toEqual([1]);
  });

  it('builds the login address with next', () => {
    expect(loginUrl({ pathname: '/flows/3', search: '?x=1', hash: '' })).toBe('/login?next=%2Fflows%2F3%3Fx%3D1');
  });

  it('reads cookies and list shapes', () => {
    expect(readCookie('b', 'a=1; b=two%20words; c=3')).toBe('two words');
    expect(readCookie('z', 'a=1')).toBeNull();
    expect(itemsOf([1])).toEqual([1]);
    expect(itemsOf({ results: [2] })).toEqual([2]);
    expect(isNotSignedIn(403, { error: 'forbidden' })).toBe(false);
  });
});
