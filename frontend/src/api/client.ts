// The typed HTTP client every endpoint function goes through.
//
// The convention of src/api/: one small module per endpoint group, named after it
// (flows.ts for /api/flows/..., runs.ts, teams.ts, members.ts, apiKeys.ts, ...). Each exports
// plain functions, one per call (`getFlow`, `saveFlow`...), that go through `request` or
// `requestAll` here, and a `useX` hook built on `useRequest` for what a page reads
// (`useFlows`). Shapes come from types.ts (named over the generated schema.d.ts). Pages and
// components call these functions and hooks, never fetch.
//
// Session cookie auth: `credentials: 'same-origin'`, and unsafe methods carry
// `X-CSRFToken` from the `csrftoken` cookie. An answer that says "not signed in"
// sends the browser to Django's /login page with `next` set to where we are.

export interface ApiErrorBody {
  error?: string;
  detail?: string;
  [key: string]: unknown;
}

export class ApiError extends Error {
  readonly status: number;
  readonly body: ApiErrorBody;

  constructor(status: number, body: ApiErrorBody, fallback: string) {
    super(messageOf(body) ?? fallback);
    this.name = 'ApiError';
    this.status = status;
    this.body = body;
  }
}

function messageOf(body: ApiErrorBody): string | undefined {
  if (typeof body.error === 'string' && body.error) return body.error;
  if (typeof body.detail === 'string' && body.detail) return body.detail;
  return undefined;
}

export function readCookie(name: string, cookieString: string = document.cookie): string | null {
  for (const part of cookieString.split(';')) {
    const [key, ...rest] = part.trim().split('=');
    if (key === name) return decodeURIComponent(rest.join('='));
  }
  return null;
}

export function loginUrl(location: Pick<Location, 'pathname' | 'search' | 'hash'> = window.location): string {
  const next = `${location.pathname}${location.search}${location.hash}`;
  return `/login?next=${encodeURIComponent(next)}`;
}

/** Replaceable so tests can watch it; the app always navigates the page. */
export const authRedirect = {
  go(): void {
    window.location.assign(loginUrl());
  },
};

const NOT_SIGNED_IN = /not authenticated|credentials were not provided|not signed in|login required/i;

export function isNotSignedIn(status: number, body: ApiErrorBody): boolean {
  if (status === 401) return true;
  if (status !== 403) return false;
  return NOT_SIGNED_IN.test(messageOf(body) ?? '');
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

export interface RequestOptions {
  signal?: AbortSignal;
  /** Do not send the browser to /login on 401 (used where the caller handles it). */
  noAuthRedirect?: boolean;
}

export async function request<T>(
  method: string,
  path: string,
  body?: unknown,
  options: RequestOptions = {},
): Promise<T> {
  const headers: Record<string, string> = { Accept: 'application/json' };
  // A FormData body (a file upload) is sent as multipart: the browser sets its boundary.
  const multipart = body instanceof FormData;
  if (body !== undefined && !multipart) headers['Content-Type'] = 'application/json';
  if (!SAFE_METHODS.has(method)) {
    const token = readCookie('csrftoken');
    if (token) headers['X-CSRFToken'] = token;
  }
  let response: Response;
  try {
    response = await fetch(path, {
      method,
      headers,
      body: body === undefined ? undefined : multipart ? body : JSON.stringify(body),
      credentials: 'same-origin',
      signal: options.signal,
    });
  } catch (err) {
    if (err instanceof DOMException && err.name === 'AbortError') throw err;
    throw new ApiError(0, {}, 'The server could not be reached.');
  }
  const text = await response.text();
  let parsed: unknown = undefined;
  if (text) {
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = undefined;
    }
  }
  if (!response.ok) {
    const errorBody: ApiErrorBody =
      parsed && typeof parsed === 'object' && !Array.isArray(parsed) ? (parsed as ApiErrorBody) : {};
    if (!options.noAuthRedirect && isNotSignedIn(response.status, errorBody)) {
      authRedirect.go();
    }
    throw new ApiError(response.status, errorBody, `${method} ${path} answered ${response.status}.`);
  }
  return parsed as T;
}

/**
 * Every item of a list endpoint: follows `next` links of a paginated answer
 * (same origin only, at most `maxPages`), or takes a plain list as it is.
 */
export async function requestAll<T>(path: string, options: RequestOptions = {}, maxPages = 20): Promise<T[]> {
  const items: T[] = [];
  let next: string | null = path;
  for (let page = 0; next && page < maxPages; page++) {
    const data: T[] | { results: T[]; next?: string | null } = await request('GET', next, undefined, options);
    if (Array.isArray(data)) return data;
    items.push(...itemsOf(data));
    next = sameOriginPath(data?.next ?? null);
  }
  return items;
}

function sameOriginPath(url: string | null): string | null {
  if (!url) return null;
  try {
    const parsed = new URL(url, window.location.origin);
    return parsed.origin === window.location.origin ? `${parsed.pathname}${parsed.search}` : null;
  } catch {
    return null;
  }
}

/** Lists may come paginated (`{results}`) or plain; callers want the items. */
export function itemsOf<T>(data: T[] | { results: T[] } | null | undefined): T[] {
  if (!data) return [];
  if (Array.isArray(data)) return data;
  return Array.isArray(data.results) ? data.results : [];
}

export function describeError(err: unknown): string {
  if (err instanceof ApiError) return err.message;
  if (err instanceof Error) return err.message;
  return String(err);
}
