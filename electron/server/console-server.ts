// `commonwatt serve`: the built renderer as static files, sign-in, and the API over a WebSocket at
// /api, on loopback by default. The same dispatch as the desktop app's IPC; only the transport
// differs. Nothing a client sends may crash the process or grow it without bound: every request
// path is decoded defensively, every socket has an error handler, and each connection has limits.
// Identity comes only from the session cookie (or the CLI's token), never from a header such as
// Referer, Origin or X-Forwarded-For: Origin and Host are checked only to refuse foreign pages.
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import type { Caller } from '../../shared/api/access.ts';
import { callMessageSchema, type ServerMessage } from '../../shared/api/wire.ts';
import type { ApiEventName, ApiEvents } from '../../shared/api/contract.ts';
import type { AuthService } from '../auth/auth-service.ts';
import type { AuditTrail } from '../platform/audit-trail.ts';
import type { Anonymous, DispatchResult } from '../platform/dispatch.ts';
import { resolveRendererFile } from '../platform/renderer-files.ts';

export interface ConnectionLimits {
  /** The largest WebSocket message a client may send. */
  maxMessageBytes: number;
  /** Output queued for one client beyond this: the client is not reading and is dropped. */
  maxBufferedBytes: number;
  /** Calls one connection may have running at once. */
  maxCallsInFlight: number;
  /** WebSocket connections from one address. */
  maxConnectionsPerAddress: number;
}

export const DEFAULT_LIMITS: ConnectionLimits = {
  maxMessageBytes: 1 << 20,
  maxBufferedBytes: 8 << 20,
  maxCallsInFlight: 32,
  maxConnectionsPerAddress: 16,
};

export interface ServeOptions {
  host: string;
  port: number;
  staticDir: string;
  /** PEM certificate and key: the console is then served over HTTPS and WSS only. */
  tls?: { cert: Buffer; key: Buffer };
  /** Further names the console may be reached by (a DNS name on the site's network). */
  extraHosts?: string[];
  limits?: Partial<ConnectionLimits>;
  log?: (message: string) => void;
}

export interface RunningServer {
  url: string;
  port: number;
  /** The one-time sign-in address for a link token (see AuthService.issueLink). */
  signInUrl(token: string): string;
  close(): Promise<void>;
}

const SIGN_IN_BODY_MAX = 8 << 10;
/** Sessions are re-checked this often on open sockets, so an expired or revoked session stops receiving. */
const SESSION_RECHECK_MS = 15_000;

export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

/** What the server needs of a running console (electron/app's ConsoleApp is one); it knows no more. */
export interface ServedConsole {
  auth: AuthService;
  audit: AuditTrail;
  call(caller: Caller | Anonymous, name: unknown, request: unknown): Promise<DispatchResult>;
  subscribe(listener: <E extends ApiEventName>(event: E, payload: ApiEvents[E]) => void): () => void;
}

export async function serveConsole(app: ServedConsole, options: ServeOptions): Promise<RunningServer> {
  const root = path.resolve(options.staticDir);
  const limits = { ...DEFAULT_LIMITS, ...options.limits };
  const log = options.log ?? (() => undefined);
  const scheme = options.tls ? 'https' : 'http';
  const cookieName = options.tls ? '__Host-cw_session' : 'cw_session';
  let allowedHosts = new Set<string>();

  const peerOf = (req: http.IncomingMessage) =>
    `${req.socket.remoteAddress ?? 'unknown'}:${req.socket.remotePort ?? 0}`;
  const audit = (req: http.IncomingMessage, action: string, what: string, reason: string) =>
    app.audit.record({
      atMs: Date.now(),
      actor: { user: null, role: null, transport: 'http', peer: peerOf(req) },
      action,
      what,
      result: 'refused',
      reason,
    });

  /** The Host header names this console (defeats DNS rebinding); the checked value, or null. */
  const ownHost = (req: http.IncomingMessage): string | null => {
    const host = req.headers.host?.toLowerCase();
    return host && allowedHosts.has(host) ? host : null;
  };
  /** A browser's Origin, when there is one, must be this console's own. */
  const originOk = (req: http.IncomingMessage, host: string) =>
    req.headers.origin === undefined || req.headers.origin === `${scheme}://${host}`;

  const securityHeaders = (host: string | null): Record<string, string> => ({
    // Nothing is fetched from anywhere but this server: the console works offline in a village.
    'content-security-policy': [
      "default-src 'self'",
      "script-src 'self'",
      "style-src 'self' 'unsafe-inline'",
      "img-src 'self' data: blob:",
      `connect-src 'self'${host ? ` ${options.tls ? 'wss' : 'ws'}://${host}` : ''}`,
      "worker-src 'self' blob:",
      "object-src 'none'",
      "base-uri 'none'",
      "form-action 'self'",
      "frame-ancestors 'none'",
    ].join('; '),
    'x-content-type-options': 'nosniff',
    'x-frame-options': 'DENY',
    'referrer-policy': 'no-referrer',
    ...(options.tls ? { 'strict-transport-security': 'max-age=31536000' } : {}),
  });

  const sessionCookie = (req: http.IncomingMessage): string | null => {
    for (const part of (req.headers.cookie ?? '').split(';')) {
      const eq = part.indexOf('=');
      if (eq > 0 && part.slice(0, eq).trim() === cookieName) return part.slice(eq + 1).trim();
    }
    return null;
  };
  const setCookie = (id: string) =>
    `${cookieName}=${id}; Path=/; HttpOnly; SameSite=Strict${options.tls ? '; Secure' : ''}`;
  const clearCookie = () =>
    `${cookieName}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0${options.tls ? '; Secure' : ''}`;

  const json = (
    res: http.ServerResponse,
    status: number,
    body: unknown,
    extra: Record<string, string> = {},
  ) =>
    void res
      .writeHead(status, {
        'content-type': 'application/json; charset=utf-8',
        'cache-control': 'no-store',
        ...extra,
      })
      .end(JSON.stringify(body));

  const readBody = (req: http.IncomingMessage): Promise<string | null> =>
    new Promise((resolve) => {
      const chunks: Buffer[] = [];
      let size = 0;
      req.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > SIGN_IN_BODY_MAX) {
          resolve(null);
          req.destroy();
        } else chunks.push(chunk);
      });
      req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
      req.on('error', () => resolve(null));
    });

  async function signIn(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const body = await readBody(req);
    let credentials: { user?: unknown; password?: unknown } = {};
    try {
      credentials = body === null ? {} : (JSON.parse(body) as typeof credentials);
    } catch {
      // answered below as a malformed request
    }
    if (typeof credentials.user !== 'string' || typeof credentials.password !== 'string')
      return json(res, 400, { error: 'send {"user": "...", "password": "..."} as JSON, at most 8 KiB' });
    const result = await app.auth.signIn(
      credentials.user.slice(0, 64),
      credentials.password.slice(0, 1024),
      'http',
      peerOf(req),
    );
    if (!result.ok) return json(res, result.status, { error: result.message });
    json(
      res,
      200,
      { user: result.session.user, role: result.role },
      { 'set-cookie': setCookie(result.session.id) },
    );
  }

  function serveStatic(req: http.IncomingMessage, res: http.ServerResponse, pathname: string, host: string) {
    // A path without an extension is one of the page's own routes: the page itself answers it.
    const target = resolveRendererFile(root, path.posix.extname(pathname) ? pathname : '/');
    if (!target.ok)
      return void res.writeHead(target.status, { 'content-type': 'text/plain' }).end(target.reason);
    fs.stat(target.file, (statError, stat) => {
      if (statError || !stat.isFile())
        return void res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
      res.writeHead(200, {
        'content-type': target.contentType,
        'content-length': String(stat.size),
        'cache-control': 'no-cache',
        ...securityHeaders(host),
      });
      if (req.method === 'HEAD') return void res.end();
      const stream = fs.createReadStream(target.file);
      stream.on('error', () => res.destroy());
      stream.pipe(res);
    });
  }

  async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const host = ownHost(req);
    if (!host) return void res.writeHead(421, { 'content-type': 'text/plain' }).end('unknown host');
    let url: URL;
    try {
      url = new URL(req.url ?? '/', `${scheme}://${host}`);
    } catch {
      return void res.writeHead(400, { 'content-type': 'text/plain' }).end('bad request target');
    }
    const route = `${req.method ?? ''} ${url.pathname}`;
    if (route === 'POST /auth/sign-in' || route === 'POST /auth/sign-out') {
      if (!originOk(req, host)) {
        audit(
          req,
          url.pathname.slice(1),
          'sign in or out',
          `foreign Origin ${String(req.headers.origin).slice(0, 100)}`,
        );
        return json(res, 403, { error: 'foreign origin' });
      }
      if (route === 'POST /auth/sign-in') return signIn(req, res);
      const caller = app.auth.callerFor(sessionCookie(req), 'http', peerOf(req));
      if (caller) app.auth.signOut(caller);
      return json(res, 200, { signedOut: true }, { 'set-cookie': clearCookie() });
    }
    if (route === 'GET /auth/session') {
      const caller = app.auth.callerFor(sessionCookie(req), 'http', peerOf(req));
      return caller
        ? json(res, 200, { user: caller.user, role: caller.role })
        : json(res, 401, { error: 'not signed in' });
    }
    if (route === 'GET /auth/link') {
      const result = app.auth.redeemLink(url.searchParams.get('token') ?? '', 'http', peerOf(req));
      if (!result.ok)
        return void res
          .writeHead(303, { location: '/#sign-in-link-invalid', 'cache-control': 'no-store' })
          .end();
      return void res
        .writeHead(303, {
          location: '/',
          'set-cookie': setCookie(result.session.id),
          'cache-control': 'no-store',
        })
        .end();
    }
    if (req.method !== 'GET' && req.method !== 'HEAD')
      return void res
        .writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain' })
        .end('method not allowed');
    serveStatic(req, res, url.pathname, host);
  }

  const onRequest = (req: http.IncomingMessage, res: http.ServerResponse) => {
    handle(req, res).catch((error: unknown) => {
      log(`serve: ${req.method} ${String(req.url).slice(0, 200)}: ${(error as Error).message}`);
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' }).end('internal error');
      else res.destroy();
    });
  };
  const server = options.tls
    ? https.createServer({ cert: options.tls.cert, key: options.tls.key }, onRequest)
    : http.createServer(onRequest);
  server.headersTimeout = 10_000;
  server.requestTimeout = 30_000;
  server.on('clientError', (_error, socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
    else socket.destroy();
  });

  // ── the API over WebSocket ──────────────────────────────────────────────────────────────────
  const wss = new WebSocketServer({ noServer: true, maxPayload: limits.maxMessageBytes });
  const connectionsByAddress = new Map<string, number>();

  const refuseUpgrade = (req: http.IncomingMessage, socket: Duplex, status: string, reason: string) => {
    audit(req, 'ws/upgrade', 'open the API', reason);
    socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
    socket.destroy();
  };

  server.on('upgrade', (req: http.IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', () => socket.destroy());
    const host = ownHost(req);
    if (!host)
      return refuseUpgrade(
        req,
        socket,
        '403 Forbidden',
        `unknown Host ${String(req.headers.host).slice(0, 100)}`,
      );
    if ((req.url ?? '').split('?')[0] !== '/api')
      return refuseUpgrade(req, socket, '404 Not Found', 'not /api');
    if (!originOk(req, host))
      return refuseUpgrade(
        req,
        socket,
        '403 Forbidden',
        `foreign Origin ${String(req.headers.origin).slice(0, 100)}`,
      );
    const peer = peerOf(req);
    const bearer = /^Bearer (\S+)$/.exec(req.headers.authorization ?? '')?.[1] ?? null;
    // A browser always sends Origin on a WebSocket; a request without one is a program, which
    // must prove itself with the CLI token. A cookie alone never identifies a program.
    let resolveCaller: () => Caller | null;
    if (req.headers.origin === undefined) {
      const first = app.auth.cliCaller(bearer, peer);
      if (!first)
        return refuseUpgrade(
          req,
          socket,
          '403 Forbidden',
          bearer ? 'wrong CLI token' : 'no session and no CLI token',
        );
      resolveCaller = () => (app.auth.users.get(first.user) ? first : null);
    } else {
      const sessionId = sessionCookie(req);
      if (!app.auth.callerFor(sessionId, 'websocket', peer))
        return refuseUpgrade(
          req,
          socket,
          '403 Forbidden',
          sessionId ? 'expired or unknown session' : 'no session',
        );
      resolveCaller = () => app.auth.callerFor(sessionId, 'websocket', peer);
    }
    const address = req.socket.remoteAddress ?? 'unknown';
    const open = connectionsByAddress.get(address) ?? 0;
    if (open >= limits.maxConnectionsPerAddress)
      return refuseUpgrade(
        req,
        socket,
        '429 Too Many Requests',
        `more than ${limits.maxConnectionsPerAddress} connections from ${address}`,
      );
    wss.handleUpgrade(req, socket, head, (ws) => {
      connectionsByAddress.set(address, (connectionsByAddress.get(address) ?? 0) + 1);
      ws.on('close', () => {
        const n = (connectionsByAddress.get(address) ?? 1) - 1;
        if (n <= 0) connectionsByAddress.delete(address);
        else connectionsByAddress.set(address, n);
      });
      onConnection(ws, peer, resolveCaller, req.headers.origin === undefined ? null : sessionCookie(req));
    });
  });

  function onConnection(
    ws: WebSocket,
    peer: string,
    resolveCaller: () => Caller | null,
    sessionId: string | null,
  ) {
    let inFlight = 0;
    const send = (message: ServerMessage) => {
      if (ws.readyState !== ws.OPEN) return;
      if (ws.bufferedAmount > limits.maxBufferedBytes) {
        log(`serve: ${peer} is not reading (${ws.bufferedAmount} bytes queued): connection dropped`);
        ws.terminate();
        return;
      }
      ws.send(JSON.stringify(message));
    };
    const unsubscribe = app.subscribe((name, payload) => send({ type: 'event', name, payload }));
    const recheck = setInterval(() => {
      if (sessionId !== null && !app.auth.sessions.alive(sessionId, Date.now()))
        ws.close(4001, 'session ended');
    }, SESSION_RECHECK_MS);
    ws.on('close', () => {
      unsubscribe();
      clearInterval(recheck);
    });
    // Invalid UTF-8, an oversized frame or a protocol error: ws closes the socket; this keeps it
    // from becoming an uncaught error that would stop the controller with the server.
    ws.on('error', (error) => {
      log(`serve: ${peer}: ${error.message}: connection closed`);
      ws.terminate();
    });
    ws.on('message', (data, isBinary) => {
      let message;
      try {
        if (isBinary) throw new Error('binary');
        message = callMessageSchema.parse(JSON.parse((data as Buffer).toString('utf8')));
      } catch {
        send({
          type: 'result',
          id: -1,
          ok: false,
          error: { code: 'invalid', message: 'not a call message' },
        });
        return;
      }
      const { id, name, request } = message;
      if (inFlight >= limits.maxCallsInFlight) {
        send({
          type: 'result',
          id,
          ok: false,
          error: { code: 'unavailable', message: `more than ${limits.maxCallsInFlight} calls in flight` },
        });
        return;
      }
      const caller = resolveCaller();
      if (!caller) {
        send({
          type: 'result',
          id,
          ok: false,
          error: { code: 'unauthenticated', message: 'the session has ended: sign in again' },
        });
        ws.close(4001, 'session ended');
        return;
      }
      inFlight++;
      void app
        .call(caller, name, request)
        .then((result) => {
          send(
            result.ok
              ? { type: 'result', id, ok: true, response: result.response }
              : { type: 'result', id, ok: false, error: result.error },
          );
          if (result.ok && name === 'auth/sign-out') ws.close(4001, 'signed out');
        })
        .finally(() => inFlight--);
    });
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => resolve());
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : options.port;
  allowedHosts = hostsServed(options.host, port, options.extraHosts ?? []);
  const host = options.host.includes(':') ? `[${options.host}]` : options.host;
  const base = `${scheme}://${isWildcard(options.host) ? '127.0.0.1' : host}:${port}/`;
  return {
    url: base,
    port,
    signInUrl: (token) => `${base}auth/link?token=${token}`,
    async close() {
      for (const client of wss.clients) client.terminate();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function isWildcard(host: string): boolean {
  return host === '0.0.0.0' || host === '::';
}

/** The Host header values this console answers to: loopback names, and the bound address or the machine's addresses. */
function hostsServed(bound: string, port: number, extra: string[]): Set<string> {
  const names = new Set(['127.0.0.1', 'localhost', '[::1]', ...extra.map((h) => h.toLowerCase())]);
  if (isWildcard(bound)) {
    names.add(os.hostname().toLowerCase());
    for (const list of Object.values(os.networkInterfaces()))
      for (const a of list ?? []) names.add(a.family === 'IPv6' ? `[${a.address}]` : a.address);
  } else names.add(bound.includes(':') ? `[${bound}]` : bound.toLowerCase());
  return new Set([...names].map((n) => `${n}:${port}`));
}
