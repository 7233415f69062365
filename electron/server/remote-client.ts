// A typed client for a running console's API over its WebSocket (`commonwatt serve`), for CLI
// verbs that act on the live site rather than on files: the same contract the renderer uses.
import WebSocket from 'ws';
import type { ApiName, ApiRequest, ApiResponse } from '../../shared/api/contract.ts';
import type { ServerMessage } from '../../shared/api/wire.ts';

export class RemoteCallError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export interface RemoteConsole {
  call<K extends ApiName>(name: K, request: ApiRequest<K>): Promise<ApiResponse<K>>;
  close(): void;
}

/** Connects to ws://HOST:PORT/api; fails with a plain message when nothing answers within timeoutMs. */
export async function connectRemote(url: string, timeoutMs = 5000): Promise<RemoteConsole> {
  const socket = new WebSocket(url, { handshakeTimeout: timeoutMs });
  await new Promise<void>((resolve, reject) => {
    socket.once('open', () => resolve());
    socket.once('error', (error) =>
      reject(
        new Error(
          `cannot reach the console at ${url}: ${(error as NodeJS.ErrnoException).code ?? error.message}`,
        ),
      ),
    );
  });
  let nextId = 1;
  const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  socket.on('message', (data) => {
    let message: ServerMessage;
    try {
      message = JSON.parse((data as Buffer).toString('utf8')) as ServerMessage;
    } catch {
      return;
    }
    if (message.type !== 'result') return;
    const waiter = pending.get(message.id);
    if (!waiter) return;
    pending.delete(message.id);
    if (message.ok) waiter.resolve(message.response);
    else waiter.reject(new RemoteCallError(message.error.code, message.error.message));
  });
  socket.on('close', () => {
    for (const waiter of pending.values()) waiter.reject(new Error('the console closed the connection'));
    pending.clear();
  });
  return {
    call(name, request) {
      const id = nextId++;
      socket.send(JSON.stringify({ type: 'call', id, name, request }));
      return new Promise((resolve, reject) => {
        pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      });
    },
    close: () => socket.close(),
  };
}
