// `serve` beyond loopback: with a certificate and a user who has a password it starts, answers
// over HTTPS only, and its session cookie is Secure with the __Host- prefix; without a user with a
// password it refuses to start, saying what to do. The certificate is made for the test by openssl.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, runCliWithInput, startServe, type Served } from '../fixtures/cli.ts';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cw-tls-'));
const dataDir = path.join(dir, 'data');
const cert = path.join(dir, 'cert.pem');
const key = path.join(dir, 'key.pem');
let served: Served | null = null;

function post(url: string, body: string, origin: string): Promise<{ status: number; setCookie: string[] }> {
  return new Promise((resolve, reject) => {
    const req = https.request(
      url,
      {
        method: 'POST',
        rejectUnauthorized: false,
        headers: { 'content-type': 'application/json', origin, 'content-length': Buffer.byteLength(body) },
      },
      (res) => {
        res.resume();
        resolve({ status: res.statusCode ?? 0, setCookie: res.headers['set-cookie'] ?? [] });
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

beforeAll(() => {
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-days',
      '1',
      '-subj',
      '/CN=localhost',
      '-keyout',
      key,
      '-out',
      cert,
    ],
    { stdio: 'ignore' },
  );
});

afterAll(async () => {
  await served?.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('serve beyond loopback, over TLS', () => {
  it('refuses to start without a user who has a password', async () => {
    const r = await runCli([
      'serve',
      '--host',
      '0.0.0.0',
      '--port',
      '0',
      '--data',
      dataDir,
      '--tls-cert',
      cert,
      '--tls-key',
      key,
    ]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(
      /no user in .* has a password yet\. Add one first: commonwatt users add NAME --role admin/,
    );
  });

  it('starts with one, serves HTTPS, and sets a Secure __Host- cookie', async () => {
    const added = await runCliWithInput(
      ['users', 'add', 'ines', '--role', 'admin', '--data', dataDir, '--password-stdin'],
      'tls-admin-pass-9931\n',
    );
    expect(added.code).toBe(0);
    served = await startServe(
      ['--host', '0.0.0.0', '--data', dataDir, '--tls-cert', cert, '--tls-key', key],
      30_000,
      /(https:\/\/127\.0\.0\.1:\d+\/)/,
    );
    expect(served.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+\/$/);
    const origin = served.url.replace(/\/$/, '');
    const signIn = await post(
      `${served.url}auth/sign-in`,
      JSON.stringify({ user: 'ines', password: 'tls-admin-pass-9931' }),
      origin,
    );
    expect(signIn.status).toBe(200);
    expect(signIn.setCookie[0]).toMatch(
      /^__Host-cw_session=[\w-]+; Path=\/; HttpOnly; SameSite=Strict; Secure$/,
    );
    // Plain HTTP on the same port gets no console.
    await expect(fetch(served.url.replace('https', 'http'))).rejects.toThrow();
  });
});
