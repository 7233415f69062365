// Which file under the built renderer (out/renderer) a request for the app:// origin names. A path
// from a URL is untrusted: it is decoded once, refused if it could leave the renderer directory
// (`..`, encoded separators, NUL bytes, absolute or drive paths), and checked for containment
// after normalising, so a mistake in one rule is still caught by the next.
import path from 'node:path';

export type RendererFile =
  { ok: true; file: string; contentType: string } | { ok: false; status: 400 | 403 | 404; reason: string };

const HTML = 'text/html; charset=utf-8';
const contentTypes: Record<string, string> = {
  '.html': HTML,
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.json': 'application/json',
  '.woff2': 'font/woff2',
  '.wasm': 'application/wasm',
};

/**
 * `rootDir` is the renderer's build directory; `pathname` is the URL's path as it arrived, still
 * percent-encoded (`URL.pathname`).
 */
export function resolveRendererFile(rootDir: string, pathname: string): RendererFile {
  const root = path.resolve(rootDir);
  if (pathname.includes('\0')) return refuse(400, 'a NUL byte in the path');
  let decoded: string;
  try {
    decoded = decodeURIComponent(pathname);
  } catch {
    return refuse(400, `bad percent-encoding in '${pathname.slice(0, 80)}'`);
  }
  if (decoded.includes('\0')) return refuse(400, 'a NUL byte in the path');
  if (decoded.includes('\\')) return refuse(403, 'a backslash in the path');
  const relative = decoded.replace(/^\//, '');
  if (relative === '') return { ok: true, file: path.join(root, 'index.html'), contentType: HTML };
  if (relative.startsWith('/') || /^[A-Za-z]:/.test(relative) || path.isAbsolute(relative))
    return refuse(403, 'an absolute path');
  if (relative.split('/').some((segment) => segment === '..')) return refuse(403, "a '..' segment");
  const file = path.join(root, relative);
  if (!file.startsWith(root + path.sep)) return refuse(403, 'a path outside the renderer directory');
  const contentType = contentTypes[path.extname(file).toLowerCase()];
  if (!contentType)
    return refuse(404, `'${relative.slice(0, 80)}' is not a kind of file the renderer serves`);
  return { ok: true, file, contentType };
}

function refuse(status: 400 | 403 | 404, reason: string): RendererFile {
  return { ok: false, status, reason };
}
