// The browser console's WebSocket client, in Node: first against a real `ws` server on loopback
// (calls, events, a server that goes away and comes back), then against a fake socket on a fake
// clock for the reconnect schedule: 0.5 s after a loss, doubling to a 10 s cap, back to 0.5 s
// once a connection opens, and every call in flight rejected when its connection closes.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { WebSocket as NodeWebSocket, WebSocketServer } from 'ws';
import { ApiError, webSocketClient } from '../../../../../renderer/src/api/client.ts';
import type { ConnectionState } from '../../../../../renderer/src/api/api-client.ts';

function useWebSocket(impl: unknown): void {
  (globalThis as { WebSocket?: unknown }).WebSocket = impl;
}

/** ws's socket as a browser's: an error event without a listener is not thrown (ws would throw it). */
class BrowserLikeWebSocket extends NodeWebSocket {
  constructor(url: string) {
    super(url);
    this.on('error', () => undefined);
  }
}

/** The client has no close: after a test its reconnect timer finds a socket that never connects. */
class InertSocket {
  addEventListener(): void {}
  send(): void {}
}

afterEach(() => {
  useWebSocket(InertSocket);
  vi.useRealTimers();
});

/** Waits for a condition on the real clock (loopback sockets). */
async function until(probe: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!probe()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('webSocketClient against a ws server on loopback', () => {
  let server: WebSocketServer | null = null;
  afterEach(async () => {
    for (const client of server?.clients ?? []) client.terminate();
    await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
    server = null;
  });

  function listen(port = 0): Promise<number> {
    return new Promise((resolve) => {
      server = new WebSocketServer({ host: '127.0.0.1', port }, () =>
        resolve((server!.address() as { port: number }).port),
      );
      server.on('connection', (socket) => {
        socket.on('message', (data) => {
          const call = JSON.parse((data as Buffer).toString('utf8')) as {
            id: number;
            name: string;
            request: unknown;
          };
          if (call.name === 'system/echo')
            socket.send(JSON.stringify({ type: 'result', id: call.id, ok: true, response: call.request }));
          else if (call.name === 'system/refuse')
            socket.send(
              JSON.stringify({
                type: 'result',
                id: call.id,
                ok: false,
                error: { code: 'forbidden', message: 'admin role needed' },
              }),
            );
          // 'system/hang' is never answered.
        });
      });
    });
  }

  it('answers calls by id, rejects refusals with their code, and delivers events', async () => {
    useWebSocket(BrowserLikeWebSocket);
    const port = await listen();
    const client = webSocketClient(`ws://127.0.0.1:${port}/api`);
    const c = client as unknown as { call(name: string, request: unknown): Promise<unknown> };
    const [a, b] = await Promise.all([c.call('system/echo', { n: 1 }), c.call('system/echo', { n: 2 })]);
    expect(a).toEqual({ n: 1 });
    expect(b).toEqual({ n: 2 });
    const refused = await c.call('system/refuse', {}).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(ApiError);
    expect(refused).toMatchObject({ code: 'forbidden', message: 'admin role needed' });
    const seen: unknown[] = [];
    client.on('control/alarm', (payload) => seen.push(payload));
    for (const socket of server!.clients)
      socket.send(JSON.stringify({ type: 'event', name: 'control/alarm', payload: { id: 3 } }));
    await until(() => seen.length === 1, 'the event');
    expect(seen).toEqual([{ id: 3 }]);
  });

  it('rejects the calls in flight when the server goes, and reconnects when it is back', async () => {
    useWebSocket(BrowserLikeWebSocket);
    const port = await listen();
    const client = webSocketClient(`ws://127.0.0.1:${port}/api`);
    const states: ConnectionState[] = [];
    client.onState((s) => states.push(s));
    const c = client as unknown as { call(name: string, request: unknown): Promise<unknown> };
    await c.call('system/echo', {});
    const hanging = c.call('system/hang', {}).catch((e: unknown) => e);
    await until(() => server!.clients.size === 1, 'the connection');
    // The server goes away: the call in flight fails at once, it does not hang.
    for (const socket of server!.clients) socket.terminate();
    await new Promise<void>((r) => server!.close(() => r()));
    server = null;
    const error = await hanging;
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({ code: 'failed', message: 'connection to the console server lost' });
    expect(states).toContain('closed');
    // Back on the same port: the client finds it by itself (first retry after 0.5 s).
    await listen(port);
    await until(() => states.at(-1) === 'open', 'the reconnection');
    expect(states.slice(states.indexOf('closed'))).toContain('connecting');
    expect(await c.call('system/echo', { again: true })).toEqual({ again: true });
  });
});

/** A socket the test opens, closes and feeds by hand. */
class FakeSocket {
  static made: FakeSocket[] = [];
  static madeAtMs: number[] = [];
  readonly sent: string[] = [];
  private readonly listeners = new Map<string, Array<{ fn: (e: unknown) => void; once: boolean }>>();

  constructor(readonly url: string) {
    FakeSocket.made.push(this);
    FakeSocket.madeAtMs.push(Date.now());
  }

  addEventListener(type: string, fn: (e: unknown) => void, options?: { once?: boolean }): void {
    this.listeners.set(type, [...(this.listeners.get(type) ?? []), { fn, once: options?.once === true }]);
  }

  send(data: string): void {
    this.sent.push(data);
  }

  fire(type: string, event: unknown = {}): void {
    const list = this.listeners.get(type) ?? [];
    this.listeners.set(
      type,
      list.filter((l) => !l.once),
    );
    for (const l of list) l.fn(event);
  }

  reply(id: number, response: unknown): void {
    this.fire('message', { data: JSON.stringify({ type: 'result', id, ok: true, response }) });
  }
}

function fakeClient() {
  FakeSocket.made = [];
  FakeSocket.madeAtMs = [];
  vi.useFakeTimers({ now: 0 });
  useWebSocket(FakeSocket);
  const client = webSocketClient('ws://console.test/api');
  const c = client as unknown as { call(name: string, request: unknown): Promise<unknown> };
  const last = () => FakeSocket.made.at(-1)!;
  return { client, c, last };
}

describe('webSocketClient reconnect schedule (fake socket, fake clock)', () => {
  it('retries 0.5 s after a loss, doubling each time to a 10 s cap', () => {
    const { last } = fakeClient();
    expect(FakeSocket.made).toHaveLength(1);
    // Never opens: each socket closes at once and the next waits longer.
    // 0.5, 1, 2, 4, 8, then 10 s (16 capped), 10 s.
    const expectedDelaysMs = [500, 1000, 2000, 4000, 8000, 10_000, 10_000];
    for (const delay of expectedDelaysMs) {
      const count = FakeSocket.made.length;
      last().fire('close');
      vi.advanceTimersByTime(delay - 1);
      expect(FakeSocket.made).toHaveLength(count);
      vi.advanceTimersByTime(1);
      expect(FakeSocket.made).toHaveLength(count + 1);
    }
    const gaps = FakeSocket.madeAtMs.slice(1).map((t, i) => t - FakeSocket.madeAtMs[i]!);
    expect(gaps).toEqual(expectedDelaysMs);
  });

  it('starts again from 0.5 s once a connection has opened', () => {
    const { client, last } = fakeClient();
    const states: ConnectionState[] = [];
    client.onState((s) => states.push(s));
    for (let i = 0; i < 4; i++) {
      last().fire('close');
      vi.runOnlyPendingTimers();
    }
    // Four losses: the next wait would be 8 s. The fifth socket opens, then is lost.
    last().fire('open');
    last().fire('close');
    const count = FakeSocket.made.length;
    vi.advanceTimersByTime(499);
    expect(FakeSocket.made).toHaveLength(count);
    vi.advanceTimersByTime(1);
    expect(FakeSocket.made).toHaveLength(count + 1);
    expect(states.slice(-4)).toEqual(['connecting', 'open', 'closed', 'connecting']);
  });

  it('rejects every call in flight on close, and answers none of them late', async () => {
    const { c, last } = fakeClient();
    last().fire('open');
    const one = c.call('system/a', {}).catch((e: unknown) => e);
    const two = c.call('system/b', {}).catch((e: unknown) => e);
    await vi.advanceTimersByTimeAsync(0);
    const sent = last().sent.map((s) => JSON.parse(s) as { id: number; name: string });
    expect(sent.map((m) => m.name)).toEqual(['system/a', 'system/b']);
    const old = last();
    old.fire('close');
    for (const result of [await one, await two]) {
      expect(result).toBeInstanceOf(ApiError);
      expect((result as ApiError).code).toBe('failed');
    }
    // A reply for a call already rejected is dropped, not delivered to anyone.
    expect(() => old.reply(sent[0]!.id, 'late')).not.toThrow();
  });

  it('waits for the connection before it sends a call', async () => {
    const { c, last } = fakeClient();
    const answer = c.call('system/echo', { x: 1 });
    await vi.advanceTimersByTimeAsync(0);
    expect(last().sent).toEqual([]);
    last().fire('open');
    await vi.advanceTimersByTimeAsync(0);
    const [message] = last().sent.map((s) => JSON.parse(s) as { id: number; name: string; request: unknown });
    expect(message).toMatchObject({ type: 'call', name: 'system/echo', request: { x: 1 } });
    last().reply(message!.id, { x: 1 });
    expect(await answer).toEqual({ x: 1 });
  });
});

describe('webSocketClient: a call made while it reconnects', () => {
  // Between a close and the retry the call waits for the new connection (it was once sent on the
  // closed socket and never answered), and fails with a clear message if none comes in time.
  it('is sent on the next connection', async () => {
    const { c, last } = fakeClient();
    last().fire('open');
    last().fire('close');
    const answer = c.call('system/echo', { y: 2 });
    await vi.advanceTimersByTimeAsync(500);
    last().fire('open');
    await vi.advanceTimersByTimeAsync(0);
    const [message] = last().sent.map((s) => JSON.parse(s) as { id: number });
    expect(message).toBeDefined();
    last().reply(message!.id, { y: 2 });
    expect(await answer).toEqual({ y: 2 });
  });

  it('fails with a clear message when no connection comes back in time', async () => {
    const { c, last } = fakeClient();
    last().fire('open');
    last().fire('close');
    const answer = c.call('system/echo', { z: 3 });
    const settled = answer.then(
      () => 'answered',
      (error: Error) => error.message,
    );
    await vi.advanceTimersByTimeAsync(15_000);
    expect(await settled).toMatch(/no connection to the console for 15 s/);
  });
});
