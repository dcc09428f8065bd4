import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { BACKOFF_MS, parseRunEvent, PING_MS, RunSocket, runSocketUrl } from './runSocket';

class FakeSocket {
  static all: FakeSocket[] = [];
  readyState = 0;
  onopen: (() => void) | null = null;
  onmessage: ((m: { data: string }) => void) | null = null;
  onclose: ((c: { code: number }) => void) | null = null;
  constructor(public url: string) {
    FakeSocket.all.push(this);
  }
  sent: string[] = [];
  close() {
    this.readyState = 3;
  }
  send(data: string) {
    this.sent.push(data);
  }
  open() {
    this.readyState = 1;
    this.onopen?.();
  }
  drop(code = 1006) {
    this.readyState = 3;
    this.onclose?.({ code });
  }
}

describe('run socket', () => {
  beforeEach(() => {
    vi.useFakeTimers();
    FakeSocket.all = [];
  });
  afterEach(() => vi.useRealTimers());

  const make = () => {
    const events: unknown[] = [];
    const states: string[] = [];
    const refused: number[] = [];
    const socket = new RunSocket(
      'r1',
      { onEvent: (e) => events.push(e), onState: (s) => states.push(s), onRefused: (c) => refused.push(c) },
      (url) => new FakeSocket(url) as unknown as WebSocket,
    );
    return { socket, events, states, refused };
  };

  it('picks ws or wss from the page', () => {
    expect(runSocketUrl('abc', { protocol: 'http:', host: 'h:1' })).toBe('ws://h:1/ws/runs/abc/');
    expect(runSocketUrl('abc', { protocol: 'https:', host: 'h' })).toBe('wss://h/ws/runs/abc/');
  });

  it('passes typed events on and drops junk', () => {
    const { socket, events } = make();
    socket.start();
    const ws = FakeSocket.all[0];
    ws.open();
    ws.onmessage?.({ data: '{"type":"node.delta","seq":3,"run_id":"r1","node_id":"n1","text":"hi"}' });
    ws.onmessage?.({ data: 'not json' });
    ws.onmessage?.({ data: '{"type":"other","seq":1}' });
    expect(events).toHaveLength(1);
  });

  it('reconnects with growing delays, resetting after a good connection', () => {
    const { socket, states } = make();
    socket.start();
    FakeSocket.all[0].drop();
    expect(FakeSocket.all).toHaveLength(1);
    vi.advanceTimersByTime(BACKOFF_MS[0]);
    expect(FakeSocket.all).toHaveLength(2);
    FakeSocket.all[1].drop();
    vi.advanceTimersByTime(BACKOFF_MS[0]);
    expect(FakeSocket.all).toHaveLength(2);
    vi.advanceTimersByTime(BACKOFF_MS[1] - BACKOFF_MS[0]);
    expect(FakeSocket.all).toHaveLength(3);
    FakeSocket.all[2].open();
    FakeSocket.all[2].drop();
    vi.advanceTimersByTime(BACKOFF_MS[0]);
    expect(FakeSocket.all).toHaveLength(4);
    expect(states).toContain('reconnecting');
    socket.stop();
  });

  it('pings while open', () => {
    const { socket } = make();
    socket.start();
    FakeSocket.all[0].open();
    vi.advanceTimersByTime(PING_MS * 2 + 10);
    expect(FakeSocket.all[0].sent).toEqual(['{"type":"ping"}', '{"type":"ping"}']);
    socket.stop();
    vi.advanceTimersByTime(PING_MS * 2);
    expect(FakeSocket.all[0].sent).toHaveLength(2);
  });

  it('gives up on 4401 and 4404', () => {
    const { socket, refused } = make();
    socket.start();
    FakeSocket.all[0].drop(4404);
    vi.advanceTimersByTime(60_000);
    expect(FakeSocket.all).toHaveLength(1);
    expect(refused).toEqual([4404]);
    socket.stop();
  });

  it('stays closed once stopped', () => {
    const { socket } = make();
    socket.start();
    socket.stop();
    FakeSocket.all[0].onclose?.({ code: 1006 });
    vi.advanceTimersByTime(60_000);
    expect(FakeSocket.all).toHaveLength(1);
  });

  it('parses only known event types with a seq', () => {
    expect(parseRunEvent('{"type":"run.status","seq":1}')).not.toBeNull();
    expect(parseRunEvent('{"type":"run.status"}')).toBeNull();
  });
});
