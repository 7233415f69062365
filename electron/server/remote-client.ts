// A typed client for a running console's API over its WebSocket (`commonwatt serve`), for CLI
// verbs that act on the live site rather than on files: the same contract the renderer uses.
import fs from 'node:fs';
import path from 'node:path';
import WebSocket from 'ws';
import { CLI_TOKEN_FILE } from '../auth/auth-service.ts';
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

/**
 * The token `commonwatt serve` wrote to DIR/cli-token for this data directory; a clear error when
 * there is none (no console runs on it) or it cannot be read (another OS user's console).
 */
export function readCliToken(dataDir: string): string {
  const file = path.join(dataDir, CLI_TOKEN_FILE);
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new Error(
      code === 'ENOENT'
        ? `no CLI token in ${dataDir}: is \`commonwatt serve --data ${dataDir}\` running? (--data names the console's data directory)`
        : `cannot read ${file}: ${code ?? (error as Error).message} (it is readable only by the OS user who runs the console)`,
    );
  }
  const token = (JSON.parse(text) as { token?: unknown }).token;
  if (typeof token !== 'string') throw new Error(`${file} is not a CLI token file`);
  return token;
}

/** Connects to ws://HOST:PORT/api; fails with a plain message when nothing answers within timeoutMs. */
export async function connectRemote(
  url: string,
  options: { token: string; timeoutMs?: number },
): Promise<RemoteConsole> {
  const socket = new WebSocket(url, {
    handshakeTimeout: options.timeoutMs ?? 5000,
    headers: { authorization: `Bearer ${options.token}` },
  });
  await new Promise<void>((resolve, reject) => {
    socket.once('open', () => resolve());
    socket.once('unexpected-response', (_request, response) =>
      reject(
        new Error(
          response.statusCode === 403
            ? `the console at ${url} refused the CLI token: is it the console of this --data directory?`
            : `the console at ${url} answered HTTP ${response.statusCode}`,
        ),
      ),
    );
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
