// The renderer's own origin, app://console, instead of file:// (Electron security checklist 18):
// a standard, secure scheme whose handler serves only the built renderer's files, each with the
// console's Content-Security-Policy, so the page never gains file://'s extra reach.
import fs from 'node:fs/promises';
import { resolveRendererFile } from '../platform/renderer-files.ts';

export const APP_SCHEME = 'app';
export const APP_HOST = 'console';
export const RENDERER_ENTRY_URL = `${APP_SCHEME}://${APP_HOST}/index.html`;

// The window talks to main over IPC only, so it connects nowhere; nothing is fetched from the
// internet because the console must work offline in a village. The page's own <meta> CSP (shared
// with `serve`) still applies; a browser enforces both.
export const RENDERER_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data: blob:",
  "connect-src 'self'",
  "worker-src 'self' blob:",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

/** What of Electron's `protocol` module registration needs (called before `app` is ready). */
export interface SchemeRegistry {
  registerSchemesAsPrivileged(
    schemes: { scheme: string; privileges: { standard: boolean; secure: boolean; codeCache: boolean } }[],
  ): void;
}

/** What of a session's `protocol` the handler needs. */
export interface ProtocolHandlers {
  handle(scheme: string, handler: (request: Request) => Promise<Response>): void;
}

export type ReadFile = (file: string) => Promise<Uint8Array>;

// Standard: relative URLs and 'self' work as on the web. Secure: treated like https. No bypassCSP,
// no corsEnabled, no service workers, no fetch API: the page needs none of them.
export function registerAppScheme(protocol: SchemeRegistry): void {
  protocol.registerSchemesAsPrivileged([
    { scheme: APP_SCHEME, privileges: { standard: true, secure: true, codeCache: true } },
  ]);
}

export function serveAppProtocol(
  protocol: ProtocolHandlers,
  rendererDir: string,
  readFile: ReadFile = fs.readFile,
): void {
  protocol.handle(APP_SCHEME, (request) => respondToApp(request, rendererDir, readFile));
}

export async function respondToApp(
  request: Request,
  rendererDir: string,
  readFile: ReadFile,
): Promise<Response> {
  const headers = {
    'content-security-policy': RENDERER_CSP,
    'x-content-type-options': 'nosniff',
    'cache-control': 'no-cache',
  };
  const refuse = (status: number, reason: string) =>
    new Response(reason, { status, headers: { ...headers, 'content-type': 'text/plain; charset=utf-8' } });
  if (request.method !== 'GET' && request.method !== 'HEAD') return refuse(405, 'only GET and HEAD');
  let url: URL;
  try {
    url = new URL(request.url);
  } catch {
    return refuse(400, 'not a URL');
  }
  if (url.protocol !== `${APP_SCHEME}:` || url.host !== APP_HOST || url.username || url.password)
    return refuse(404, `nothing is served at ${url.protocol}//${url.host}`);
  const found = resolveRendererFile(rendererDir, url.pathname);
  if (!found.ok) return refuse(found.status, found.reason);
  let body: Uint8Array;
  try {
    body = await readFile(found.file);
  } catch {
    return refuse(404, `no such renderer file '${url.pathname.slice(0, 80)}'`);
  }
  return new Response(request.method === 'HEAD' ? null : body, {
    status: 200,
    headers: { ...headers, 'content-type': found.contentType },
  });
}
