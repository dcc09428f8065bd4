// One websocket to /ws/runs/<id>/ that reconnects with backoff. Each
// (re)connection starts with a fresh `run.snapshot`, so nothing is lost while
// the socket is down; the run store applies the seq rules.
import type { RunEvent } from '../api/types';

export const BACKOFF_MS = [500, 1000, 2000, 4000, 8000, 15000];
/** A `{"type": "ping"}` this often keeps idle proxies from closing a quiet socket. */
export const PING_MS = 25000;

export function runSocketUrl(runId: string, location: Pick<Location, 'protocol' | 'host'> = window.location): string {
  const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
  return `${scheme}://${location.host}/ws/runs/${encodeURIComponent(runId)}/`;
}

const EVENT_TYPES = new Set(['run.snapshot', 'run.status', 'node.status', 'node.delta', 'node.output']);

export function parseRunEvent(text: string): RunEvent | null {
  try {
    const value = JSON.parse(text) as Partial<RunEvent>;
    if (!value || typeof value !== 'object' || typeof value.type !== 'string' || !EVENT_TYPES.has(value.type)) return null;
    if (typeof value.seq !== 'number') return null;
    return value as RunEvent;
  } catch {
    return null;
  }
}

export interface RunSocketHandlers {
  onEvent: (event: RunEvent) => void;
  onState: (state: 'connecting' | 'open' | 'reconnecting' | 'closed') => void;
  /** The server refused for good: 4401 (not signed in) or 4404 (no such run). */
  onRefused: (code: number) => void;
}

export class RunSocket {
  private socket: WebSocket | null = null;
  private attempt = 0;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private stopped = false;
  private pinger: ReturnType<typeof setInterval> | null = null;

  constructor(
    private readonly runId: string,
    private readonly handlers: RunSocketHandlers,
    private readonly makeSocket: (url: string) => WebSocket = (url) => new WebSocket(url),
  ) {}

  start(): void {
    this.stopped = false;
    this.open();
  }

  /** Close for good (page left, run finished). */
  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.stopPinging();
    const socket = this.socket;
    this.socket = null;
    if (socket && socket.readyState <= 1) socket.close(1000);
    this.handlers.onState('closed');
  }

  private open(): void {
    if (this.stopped) return;
    this.handlers.onState(this.attempt === 0 ? 'connecting' : 'reconnecting');
    let socket: WebSocket;
    try {
      socket = this.makeSocket(runSocketUrl(this.runId));
    } catch {
      this.retry();
      return;
    }
    this.socket = socket;
    socket.onopen = () => {
      if (this.socket !== socket) return;
      this.attempt = 0;
      this.handlers.onState('open');
      this.stopPinging();
      this.pinger = setInterval(() => {
        if (socket.readyState === 1) socket.send(JSON.stringify({ type: 'ping' }));
      }, PING_MS);
    };
    socket.onmessage = (message: MessageEvent) => {
      if (this.socket !== socket || typeof message.data !== 'string') return;
      const event = parseRunEvent(message.data);
      if (event) this.handlers.onEvent(event);
    };
    socket.onclose = (close: CloseEvent) => {
      if (this.socket !== socket) return;
      this.socket = null;
      this.stopPinging();
      if (close.code === 4401 || close.code === 4404 || close.code === 4403) {
        this.stopped = true;
        this.handlers.onState('closed');
        this.handlers.onRefused(close.code);
        return;
      }
      this.retry();
    };
  }

  private stopPinging(): void {
    if (this.pinger) clearInterval(this.pinger);
    this.pinger = null;
  }

  private retry(): void {
    if (this.stopped) return;
    const delay = BACKOFF_MS[Math.min(this.attempt, BACKOFF_MS.length - 1)];
    this.attempt += 1;
    this.handlers.onState('reconnecting');
    this.timer = setTimeout(() => {
      this.timer = null;
      this.open();
    }, delay);
  }
}
