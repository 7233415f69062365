import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { respondToApp } from '../../../../electron/main/app-protocol.ts';
import { resolveRendererFile } from '../../../../electron/platform/renderer-files.ts';

// A renderer build with a secret beside it, which no request may reach.
const base = fs.mkdtempSync(path.join(os.tmpdir(), 'cw-renderer-'));
const root = path.join(base, 'renderer');
fs.mkdirSync(path.join(root, 'assets'), { recursive: true });
fs.writeFileSync(path.join(root, 'index.html'), '<!doctype html><title>console</title>');
fs.writeFileSync(path.join(root, 'assets', 'index-abc.js'), 'console.log(1)');
fs.writeFileSync(path.join(base, 'secret.json'), '{"secret":true}');
afterAll(() => fs.rmSync(base, { recursive: true, force: true }));

const read = (file: string) => fs.promises.readFile(file);

describe('the renderer file resolver', () => {
  it('finds the entry page and assets under the renderer directory', () => {
    expect(resolveRendererFile(root, '/')).toMatchObject({ ok: true, file: path.join(root, 'index.html') });
    expect(resolveRendererFile(root, '/assets/index-abc.js')).toEqual({
      ok: true,
      file: path.join(root, 'assets', 'index-abc.js'),
      contentType: 'text/javascript; charset=utf-8',
    });
  });

  it.each([
    ['a plain ..', '/../secret.json', 403],
    ['.. in the middle', '/assets/../../secret.json', 403],
    ['encoded dots', '/%2e%2e/secret.json', 403],
    ['encoded dots and slash', '/..%2fsecret.json', 403],
    ['upper-case encoding', '/%2E%2E%2Fsecret.json', 403],
    ['a NUL byte', '/index.html%00.js', 400],
    ['a raw NUL byte', '/index.html\0.js', 400],
    ['an absolute path', '//etc/passwd', 403],
    ['an encoded absolute path', '/%2Fetc%2Fpasswd', 403],
    ['a drive path', '/C:/Windows/win.ini', 403],
    ['a backslash', '/..%5csecret.json', 403],
    ['bad percent-encoding', '/%E0%A4%A.js', 400],
  ])('refuses %s', (_what, pathname, status) => {
    expect(resolveRendererFile(root, pathname)).toMatchObject({ ok: false, status });
  });

  it('refuses a kind of file it does not serve', () => {
    expect(resolveRendererFile(root, '/secret.sh')).toMatchObject({ ok: false, status: 404 });
  });
});

describe('the app:// protocol handler', () => {
  const get = (url: string, method = 'GET') => respondToApp(new Request(url, { method }), root, read);

  it('serves the page with the CSP header and its content type', async () => {
    const response = await get('app://console/index.html');
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(response.headers.get('content-security-policy')).toContain("default-src 'self'");
    expect(response.headers.get('content-security-policy')).toContain("object-src 'none'");
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    expect(await response.text()).toContain('<title>console</title>');
  });

  it('sets the CSP header on refusals too', async () => {
    const response = await get('app://console/%2e%2e%2fsecret.json');
    expect(response.status).toBe(403);
    expect(response.headers.get('content-security-policy')).toContain("default-src 'self'");
  });

  it.each([
    'app://console/../secret.json',
    'app://console/%2e%2e/secret.json',
    'app://console/..%2fsecret.json',
    'app://console/assets/%2e%2e/%2e%2e/secret.json',
    'app://console//' + base.replace(/^\//, '') + '/secret.json',
    'app://console/%2F' + encodeURIComponent(base.replace(/^\//, '')) + '%2Fsecret.json',
  ])('never serves the file beside the renderer: %s', async (url) => {
    const response = await get(url);
    expect(response.status).not.toBe(200);
    expect(await response.text()).not.toContain('"secret":true');
  });

  it('serves nothing for another host and refuses writes', async () => {
    expect((await get('app://other/index.html')).status).toBe(404);
    expect((await get('app://console/index.html', 'POST')).status).toBe(405);
  });

  it('answers a missing file with 404', async () => {
    expect((await get('app://console/assets/missing.js')).status).toBe(404);
  });
});
