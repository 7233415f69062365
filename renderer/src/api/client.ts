// The renderer's only way to the back end: typed calls and events over whichever transport this
// page runs on — the preload's IPC bridge in the desktop app, a WebSocket in the browser.
import type { BridgeResult, CommonwattBridge } from '../../../shared/api/bridge.ts';
import type { ServerMessage } from '../../../shared/api/wire.ts';

export type { ApiClient, ConnectionState } from './api-client.ts';
import type { ApiClient, ConnectionState } from './api-client.ts';

export class ApiError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

type AnyListener = (payload: unknown) => void;

class Listeners {
  private readonly byEvent = new Map<string, Set<AnyListener>>();
  add(event: string, listener: AnyListener): () => void {
    let set = this.byEvent.get(event);
    if (!set) this.byEvent.set(event, (set = new Set()));
    set.add(listener);
    return () => set.delete(listener);
  }
  emit(event: string, payload: unknown): void {
    for (const listener of this.byEvent.get(event) ?? []) listener(payload);
  }
}

function unwrap(result: BridgeResult): unknown {
  if (result.ok) return result.response;
  throw new ApiError(result.error.code, result.error.message);
}

export function ipcClient(bridge: CommonwattBridge): ApiClient {
  const listeners = new Listeners();
  bridge.onEvent((name, payload) => listeners.emit(name, payload));
  return {
    transport: 'ipc',
    async call(name, request) {
      return unwrap(await bridge.call(name, request)) as never;
    },
    on: (event, listener) => listeners.add(event, listener as AnyListener),
    onState(listener) {
      listener('open');
      return () => undefined;
    },
  };
}

/** How long a call made while the connection is down waits for it to come back before it fails. */
const CALL_WAIT_MS = 15_000;

/** A WebSocket client that reconnects by itself (a wall screen must come back after a restart). */
export function webSocketClient(url: string): ApiClient {
  const listeners = new Listeners();
  const stateListeners = new Set<(state: ConnectionState) => void>();
  const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: unknown) => void }>();
  let nextId = 1;
  let socket: WebSocket;
  let isOpen = false;
  /** Calls made while the connection is down wait for the next one, for a bounded time. */
  const openWaiters = new Set<() => void>();
  let retryMs = 500;

  const setState = (state: ConnectionState) => stateListeners.forEach((l) => l(state));
  const connect = () => {
    setState('connecting');
    socket = new WebSocket(url);
    socket.addEventListener('open', () => {
      retryMs = 500;
      isOpen = true;
      setState('open');
      for (const wake of [...openWaiters]) wake();
    });
    socket.addEventListener('message', (event) => {
      const message = JSON.parse(String(event.data)) as ServerMessage;
      if (message.type === 'event') listeners.emit(message.name, message.payload);
      else {
        const waiter = pending.get(message.id);
        pending.delete(message.id);
        if (!waiter) return;
        if (message.ok) waiter.resolve(message.response);
        else waiter.reject(new ApiError(message.error.code, message.error.message));
      }
    });
    socket.addEventListener('close', () => {
      isOpen = false;
      setState('closed');
      for (const waiter of pending.values())
        waiter.reject(new ApiError('failed', 'connection to the console server lost'));
      pending.clear();
      setTimeout(connect, retryMs);
      retryMs = Math.min(10_000, retryMs * 2);
    });
  };
  connect();

  return {
    transport: 'websocket',
    async call(name, request) {
      if (!isOpen)
        await new Promise<void>((resolve, reject) => {
          const timer = setTimeout(() => {
            openWaiters.delete(wake);
            reject(
              new ApiError(
                'unavailable',
                `no connection to the console for ${CALL_WAIT_MS / 1000} s: try again`,
              ),
            );
          }, CALL_WAIT_MS);
          const wake = () => {
            clearTimeout(timer);
            openWaiters.delete(wake);
            resolve();
          };
          openWaiters.add(wake);
        });
      const id = nextId++;
      return new Promise((resolve, reject) => {
        pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
        socket.send(JSON.stringify({ type: 'call', id, name, request }));
      });
    },
    on: (event, listener) => listeners.add(event, listener as AnyListener),
    onState(listener) {
      stateListeners.add(listener);
      return () => stateListeners.delete(listener);
    },
  };
}
