// `commonwatt serve` as an attacker meets it, each case against a real console on loopback: the
// upgrade refuses foreign pages, foreign hosts and callers without a live session; roles are
// enforced and audited with the session's user, never a name or header the client sends; nothing
// a client sends stops the process or the controller; a client that does not read is dropped.
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuditRecord } from '../../shared/api/audit-api.ts';
import { runCli, runCliWithInput, startServe, type Served } from '../fixtures/cli.ts';
import { openApi, signInByLink, signInWithPassword, type ApiSocket } from '../fixtures/session.ts';
import { waitFor } from '../fixtures/wait.ts';

const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cw-security-'));
let served: Served;
let admin: string;
let adminApi: ApiSocket;
let keepAlive: ReturnType<typeof setInterval>;
const PASSWORDS = { vera: 'viewer-pass-8421', otto: 'operator-pass-5317' };

async function upgradeStatus(headers: Record<string, string>, urlPath = '/api'): Promise<number> {
  return new Promise((resolve) => {
    const ws = new WebSocket(`${served.url.replace('http', 'ws')}${urlPath.slice(1)}`, { headers });
    ws.once('open', () => {
      ws.close();
      resolve(101);
    });
    ws.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
    ws.once('error', () => resolve(-1));
  });
}

async function auditOf(action: string): Promise<AuditRecord[]> {
  const r = await adminApi.call('audit/list', { action, limit: 1000 });
  if (!r.ok) throw new Error(JSON.stringify(r));
  return r.response as AuditRecord[];
}

/** The controller's picture moves on: it is still ticking. */
async function controllerTicks(): Promise<void> {
  const first = await adminApi.call('live/snapshot', {});
  const t0 = (first as { response: { timeMs: number } }).response.timeMs;
  await waitFor(
    async () => {
      const next = await adminApi.call('live/snapshot', {});
      return (next as { response: { timeMs: number } }).response.timeMs > t0;
    },
    10_000,
    'a newer live snapshot',
  );
  const state = await adminApi.call('control/state', {});
  expect(state.ok).toBe(true);
}

function rssKiB(pid: number): number {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
}

beforeAll(async () => {
  for (const [name, role] of [
    ['vera', 'viewer'],
    ['otto', 'operator'],
  ] as const) {
    const added = await runCliWithInput(
      ['users', 'add', name, '--role', role, '--data', dataDir, '--password-stdin'],
      `${PASSWORDS[name]}\n`,
    );
    expect(added.stderr).toBe('');
    expect(added.code).toBe(0);
  }
  served = await startServe(['--data', dataDir, '--session-idle-minutes', '0.05']);
  admin = await signInByLink(served);
  adminApi = await openApi(served, admin);
  // This console's sessions end after 3 s idle (for the expiry test): the admin's stays in use.
  keepAlive = setInterval(() => void adminApi.call('auth/session', {}).catch(() => undefined), 1000);
}, 60_000);

afterAll(async () => {
  clearInterval(keepAlive);
  adminApi?.close();
  await served?.stop();
  fs.rmSync(dataDir, { recursive: true, force: true });
});

describe('the WebSocket upgrade', () => {
  it('opens with a live session and the console’s own Origin', async () => {
    const origin = served.url.replace(/\/$/, '');
    expect(await upgradeStatus({ cookie: admin, origin })).toBe(101);
  });

  it('refuses a foreign Origin, a foreign Host, no session and an unknown session with 403', async () => {
    const origin = served.url.replace(/\/$/, '');
    const port = new URL(served.url).port;
    expect(await upgradeStatus({ cookie: admin, origin: 'http://evil.example' })).toBe(403);
    expect(await upgradeStatus({ cookie: admin, origin, host: `evil.example:${port}` })).toBe(403);
    expect(await upgradeStatus({ origin })).toBe(403);
    expect(await upgradeStatus({ origin, cookie: 'cw_session=forged-session-id' })).toBe(403);
    // A header is never identity: Referer, X-Forwarded-For and the right Origin alone do nothing.
    expect(await upgradeStatus({ origin, referer: served.url, 'x-forwarded-for': '127.0.0.1' })).toBe(403);
    // A cookie without an Origin is a program, which must show the CLI token instead.
    expect(await upgradeStatus({ cookie: admin })).toBe(403);
    const refused = await auditOf('ws/upgrade');
    expect(refused.map((r) => r.reason)).toEqual(
      expect.arrayContaining([
        'foreign Origin http://evil.example',
        `unknown Host evil.example:${port}`,
        'no session',
        'expired or unknown session',
        'no session and no CLI token',
      ]),
    );
    expect(refused.every((r) => r.user === null && r.result === 'refused')).toBe(true);
  });

  it('refuses an expired session', async () => {
    const { cookie } = await signInWithPassword(served, 'vera', PASSWORDS.vera);
    expect(cookie).not.toBeNull();
    const origin = served.url.replace(/\/$/, '');
    // The idle limit is 0.05 min = 3 s for this console.
    await new Promise((r) => setTimeout(r, 3500));
    expect(await upgradeStatus({ cookie: cookie!, origin })).toBe(403);
  });
});

describe('roles and the audit', () => {
  it("refuses a viewer's control call and audits it with the session's user", async () => {
    const { cookie } = await signInWithPassword(served, 'vera', PASSWORDS.vera);
    const viewer = await openApi(served, cookie!);
    try {
      const shed = await viewer.call('control/command', {
        command: { kind: 'shed', tier: 3 },
        confirmed: true,
      });
      expect(shed).toMatchObject({ ok: false, error: { code: 'forbidden' } });
      // A name in the request is refused by the schema; it never becomes the audit's user.
      const spoof = await viewer.call('control/command', {
        command: { kind: 'shed', tier: 3 },
        confirmed: true,
        operator: 'admin',
      });
      expect(spoof.ok).toBe(false);
      const resettle = await viewer.call('settlement/resettle', {});
      expect(resettle).toMatchObject({ ok: false, error: { code: 'forbidden' } });
    } finally {
      viewer.close();
    }
    const state = await adminApi.call('control/state', {});
    const tiers = (state as { response: { tiers: Array<{ tier: number; shed: boolean }> } }).response.tiers;
    expect(tiers.find((t) => t.tier === 3)?.shed).toBe(false);
    const records = await auditOf('control/command');
    expect(records.filter((r) => r.user === 'vera').map((r) => [r.role, r.result])).toEqual([
      ['viewer', 'refused'],
      ['viewer', 'refused'],
    ]);
  });

  it("runs an operator's shed and audits it with the session's user", async () => {
    const { cookie } = await signInWithPassword(served, 'otto', PASSWORDS.otto);
    const operator = await openApi(served, cookie!, { 'x-forwarded-for': '203.0.113.9' });
    try {
      await waitFor(
        async () => {
          const check = await operator.call('control/check', { command: { kind: 'shed', tier: 3 } });
          return check.ok && (check.response as { ok: boolean }).ok;
        },
        30_000,
        'the controller ready to shed',
      );
      const shed = await operator.call('control/command', {
        command: { kind: 'shed', tier: 3 },
        confirmed: true,
      });
      expect(shed).toMatchObject({ ok: true, response: { ok: true, done: true } });
      const restore = await operator.call('control/command', {
        command: { kind: 'restore', tier: 3 },
        confirmed: true,
      });
      expect(restore).toMatchObject({ ok: true, response: { ok: true } });
      const mine = (await auditOf('control/command')).filter((r) => r.user === 'otto');
      expect(mine.map((r) => [r.role, r.transport, r.what, r.result])).toEqual([
        ['operator', 'websocket', 'restore tier 3', 'ok'],
        ['operator', 'websocket', 'shed tier 3', 'ok'],
      ]);
      // The peer is the socket's address, not what X-Forwarded-For claims.
      expect(mine[0]!.peer).toMatch(/^127\.0\.0\.1:\d+$/);
      // An operator may not change the market.
      const save = await operator.call('market/save-settings', { market: { preset: 'piclo' } });
      expect(save).toMatchObject({ ok: false, error: { code: 'forbidden' } });
    } finally {
      operator.close();
    }
  });

  it('locks a user out after repeated failed sign-ins, and audits each failure', async () => {
    for (let i = 0; i < 5; i++)
      expect((await signInWithPassword(served, 'vera', 'wrong password')).status).toBe(401);
    const locked = await signInWithPassword(served, 'vera', PASSWORDS.vera);
    expect(locked.status).toBe(429);
    expect(locked.body).toMatchObject({ error: expect.stringMatching(/try again in \d+ s/) });
    const failures = (await auditOf('auth/sign-in')).filter(
      (r) => r.what === 'sign in as vera' && r.result === 'refused',
    );
    expect(failures.length).toBeGreaterThanOrEqual(6);
  });

  it('sets the session cookie HttpOnly and SameSite=Strict, and a POST from a foreign page is refused', async () => {
    const good = await signInWithPassword(served, 'otto', PASSWORDS.otto);
    expect(good.setCookie).toMatch(/HttpOnly/);
    expect(good.setCookie).toMatch(/SameSite=Strict/);
    const foreign = await fetch(`${served.url}auth/sign-in`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: 'http://evil.example' },
      body: JSON.stringify({ user: 'otto', password: PASSWORDS.otto }),
    });
    expect(foreign.status).toBe(403);
    expect(foreign.headers.get('set-cookie')).toBeNull();
  });

  it('does not take a used sign-in link twice', async () => {
    const link = served.signInLink()!;
    const again = await fetch(link, { redirect: 'manual' });
    expect(again.status).toBe(303);
    expect(again.headers.get('location')).toBe('/#sign-in-link-invalid');
    expect(again.headers.get('set-cookie')).toBeNull();
  });
});

describe('what a client sends cannot stop the console', () => {
  it('answers bad paths with 4xx and keeps serving: NUL, bad percent-encoding, traversal, methods', async () => {
    const raw = (request: string) =>
      new Promise<string>((resolve) => {
        const socket = net.connect(Number(new URL(served.url).port), '127.0.0.1');
        let answer = '';
        socket.on('data', (d) => (answer += d.toString()));
        socket.on('close', () => resolve(answer));
        socket.on('error', () => resolve(answer));
        // Not end(): a half-closed socket may be dropped before its answer; the server closes it.
        socket.write(request);
        setTimeout(() => socket.destroy(), 5000);
      });
    const port = new URL(served.url).port;
    const get = (p: string) =>
      raw(`GET ${p} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nConnection: close\r\n\r\n`);
    expect(await get('/%00.js')).toMatch(/^HTTP\/1\.1 400/);
    expect(await get('/%E0%A4%A.js')).toMatch(/^HTTP\/1\.1 400/);
    expect(await get('/../package.json')).not.toMatch(/^HTTP\/1\.1 200[\s\S]*"name": "commonwatt"/);
    expect(await get('/..%2f..%2fpackage.json')).not.toMatch(/"name": "commonwatt"/);
    expect(await get('/%2e%2e/%2e%2e/package.json')).not.toMatch(/"name": "commonwatt"/);
    expect(await raw(`DELETE / HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nConnection: close\r\n\r\n`)).toMatch(
      /^HTTP\/1\.1 405/,
    );
    expect(await raw('garbage\r\n\r\n')).toMatch(/^HTTP\/1\.1 400/);
    expect(await get('/')).toMatch(/^HTTP\/1\.1 200/);
    await controllerTicks();
  });

  it('closes a socket that sends a frame over 1 MiB, invalid UTF-8 or garbage, and keeps the controller ticking', async () => {
    const closes: number[] = [];
    const open = async () => {
      const api = await openApi(served, admin);
      api.socket.on('close', (code) => closes.push(code));
      return api;
    };
    const big = await open();
    big.socket.send(
      JSON.stringify({ type: 'call', id: 1, name: 'site/get', request: { pad: 'x'.repeat(1.2 * 2 ** 20) } }),
    );
    await waitFor(() => big.socket.readyState === WebSocket.CLOSED, 10_000, 'the oversized sender closed');
    expect(closes).toContain(1009);

    const utf8 = await open();
    // A 3-byte text frame that is not UTF-8, written on the raw socket below ws's own checks.
    const socket = (utf8.socket as unknown as { _socket: net.Socket })._socket;
    socket.write(Buffer.from([0x81, 0x83, 0, 0, 0, 0, 0xe0, 0xa4, 0x41]));
    await waitFor(() => utf8.socket.readyState === WebSocket.CLOSED, 10_000, 'the bad-UTF-8 sender closed');
    expect(closes).toContain(1007);

    const junk = await open();
    junk.socket.send('not json');
    junk.socket.send(JSON.stringify({ type: 'call', id: 'x', name: 5 }));
    const unknown = await junk.call('system/shutdown', {});
    expect(unknown).toMatchObject({ ok: false, error: { code: 'unknown-call' } });
    expect(junk.messages.filter((m) => m.type === 'result' && m.id === -1)).toHaveLength(2);
    junk.close();

    await controllerTicks();
    expect(served.child.exitCode).toBeNull();
  });

  it('drops a client that stops reading, with the memory it takes bounded', async () => {
    const before = rssKiB(served.child.pid!);
    const slow = await openApi(served, admin);
    const socket = (slow.socket as unknown as { _socket: net.Socket })._socket;
    socket.pause();
    let closed = false;
    slow.socket.on('close', () => (closed = true));
    // Each answer is the whole site file (tens of kB); the client never reads one of them.
    for (let i = 0; i < 3000 && !closed; i++) {
      slow.socket.send(JSON.stringify({ type: 'call', id: i + 100, name: 'site/get', request: {} }));
      if (i % 100 === 0) await new Promise((r) => setTimeout(r, 20));
    }
    socket.resume();
    await waitFor(() => closed, 30_000, 'the slow reader dropped');
    const after = rssKiB(served.child.pid!);
    console.log(`slow reader: server RSS ${Math.round(before / 1024)} MB → ${Math.round(after / 1024)} MB`);
    // Queued output is capped at 8 MiB per client; allow for the heap's own slack.
    expect(after - before).toBeLessThan(100 * 1024);
    expect(served.output()).toMatch(/is not reading .* connection dropped/);
    await controllerTicks();
  });
});

describe('serve beyond loopback', () => {
  it('refuses --host 0.0.0.0 without TLS, saying what to do', async () => {
    const r = await runCli(['serve', '--host', '0.0.0.0', '--port', '0', '--data', dataDir]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(
      /refusing to serve on 0\.0\.0\.0 without TLS: give --tls-cert FILE --tls-key FILE/,
    );
  });
});

describe('data at rest', () => {
  it('keeps the data directory 0700 and its files 0600, and a fresh secret per installation', () => {
    expect(fs.statSync(dataDir).mode & 0o777).toBe(0o700);
    for (const name of ['users.json', 'audit.db', 'historian.db', 'cli-token'])
      expect(fs.statSync(path.join(dataDir, name)).mode & 0o777, name).toBe(0o600);
    const users = fs.readFileSync(path.join(dataDir, 'users.json'), 'utf8');
    expect(users).not.toContain(PASSWORDS.vera);
    expect(users).toMatch(/"algorithm": "scrypt"/);
  });
});
