// `commonwatt serve`: the built renderer as static files and the API over a WebSocket at /api,
// on loopback by default. The same dispatch as the desktop app's IPC; only the transport differs.
import http from 'node:http';
import fs from 'node:fs';
import path from 'node:path';
import { WebSocketServer, type WebSocket } from 'ws';
import { callMessageSchema, type ServerMessage } from '../../shared/api/wire.ts';
import type { ConsoleApp } from '../app/console-app.ts';
import { dispatch } from '../platform/dispatch.ts';

const contentTypes: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.json': 'application/json',
  '.woff2': 'font/woff2',
};

// Nothing is fetched from anywhere but this server: the console works offline in a village.
const CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data: blob:",
  "connect-src 'self' ws: wss:",
  "worker-src 'self' blob:",
  "object-src 'none'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
].join('; ');

export interface ServeOptions {
  host: string;
  port: number;
  staticDir: string;
}

export interface RunningServer {
  url: string;
  close(): Promise<void>;
}

export async function serveConsole(app: ConsoleApp, options: ServeOptions): Promise<RunningServer> {
  const root = path.resolve(options.staticDir);
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    let file = path.normalize(path.join(root, decodeURIComponent(url.pathname)));
    if (!file.startsWith(root)) {
      res.writeHead(403).end();
      return;
    }
    if (url.pathname === '/' || !path.extname(file)) file = path.join(root, 'index.html');
    fs.readFile(file, (error, body) => {
      if (error) {
        res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
        return;
      }
      res.writeHead(200, {
        'content-type': contentTypes[path.extname(file)] ?? 'application/octet-stream',
        'content-security-policy': CSP,
        'x-content-type-options': 'nosniff',
        'cache-control': 'no-cache',
      });
      res.end(body);
    });
  });

  const wss = new WebSocketServer({ server, path: '/api', maxPayload: 1 << 20 });
  wss.on('connection', (socket: WebSocket) => {
    const send = (message: ServerMessage) => {
      if (socket.readyState === socket.OPEN) socket.send(JSON.stringify(message));
    };
    const unsubscribe = app.subscribe((name, payload) => send({ type: 'event', name, payload }));
    socket.on('close', unsubscribe);
    socket.on('message', (data) => {
      let message;
      try {
        message = callMessageSchema.parse(JSON.parse((data as Buffer).toString('utf8')));
      } catch {
        send({
          type: 'result',
          id: -1,
          ok: false,
          error: { code: 'invalid-request', message: 'not a call message' },
        });
        return;
      }
      const { id, name, request } = message;
      void dispatch(app.handlers, name, request).then((result) =>
        send(
          result.ok
            ? { type: 'result', id, ok: true, response: result.response }
            : { type: 'result', id, ok: false, error: result.error },
        ),
      );
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => resolve());
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : options.port;
  const host = options.host.includes(':') ? `[${options.host}]` : options.host;
  return {
    url: `http://${host}:${port}/`,
    async close() {
      for (const client of wss.clients) client.terminate();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
