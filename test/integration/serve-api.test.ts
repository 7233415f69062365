// `commonwatt serve` end to end without a browser: the API over WebSocket, validation at the
// boundary, events, static files with a CSP, and samples landing in the data directory.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ServerMessage } from '../../shared/api/wire.ts';
import { startServe, type Served } from '../fixtures/cli.ts';
import { demoSite } from '../fixtures/demo-site.ts';
import { signInByLink } from '../fixtures/session.ts';

let served: Served;
let ws: WebSocket;
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cw-serve-'));
const messages: ServerMessage[] = [];

function call(id: number, name: string, request: unknown): Promise<ServerMessage> {
  ws.send(JSON.stringify({ type: 'call', id, name, request }));
  return new Promise((resolve) => {
    const check = () => {
      const found = messages.find((m) => m.type === 'result' && m.id === id);
      if (found) resolve(found);
      else setTimeout(check, 20);
    };
    check();
  });
}

beforeAll(async () => {
  served = await startServe(['--data', dataDir]);
  ws = new WebSocket(`${served.url.replace('http', 'ws')}api`, {
    origin: served.url.replace(/\/$/, ''),
    headers: { cookie: await signInByLink(served) },
  });
  ws.on('message', (data) => messages.push(JSON.parse((data as Buffer).toString('utf8')) as ServerMessage));
  await new Promise((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('error', reject);
  });
});

afterAll(async () => {
  ws?.close();
  await served?.stop();
  fs.rmSync(dataDir, { recursive: true, force: true });
});

describe('commonwatt serve', () => {
  it('listens on loopback and serves the renderer with a strict CSP', async () => {
    expect(served.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    const res = await fetch(served.url);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-security-policy')).toContain("default-src 'self'");
    expect(await res.text()).toContain('<div id="root">');
    expect((await fetch(`${served.url}..%2f..%2fpackage.json`)).status).not.toBe(200);
  });

  it('answers typed calls', async () => {
    const info = await call(1, 'system/info', {});
    expect(info).toMatchObject({
      ok: true,
      response: { siteName: 'Aldeia Solar demo village', simulated: true, transport: 'websocket' },
    });
    const site = await call(2, 'site/get', {});
    expect(site).toMatchObject({ ok: true, response: { format: 'commonwatt.site/1' } });
  });

  it('refuses invalid requests and unknown calls with a reason', async () => {
    expect(await call(3, 'history/recent', { device: 'pcc-meter' })).toMatchObject({
      ok: false,
      error: { code: 'invalid' },
    });
    expect(await call(4, 'system/shutdown', {})).toMatchObject({
      ok: false,
      error: { code: 'unknown-call' },
    });
  });

  it('pushes live snapshots with every device online', async () => {
    const deadline = Date.now() + 15_000;
    let online = 0;
    while (Date.now() < deadline) {
      const last = messages.filter((m) => m.type === 'event' && m.name === 'live/snapshot').at(-1);
      if (last?.type === 'event') {
        const payload = last.payload as { totals: { devicesOnline: number; devicesTotal: number } };
        online = payload.totals.devicesOnline;
        if (online === payload.totals.devicesTotal) break;
      }
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(online).toBe(demoSite().devices.length);
  });

  it('keeps raw samples in SQLite under --data', async () => {
    const r = await call(5, 'history/recent', { device: 'pcc-meter', quantity: 'powerKW', sinceMs: 0 });
    expect(r.type === 'result' && r.ok).toBe(true);
    if (r.type === 'result' && r.ok) expect((r.response as unknown[]).length).toBeGreaterThan(0);
    expect(fs.existsSync(path.join(dataDir, 'historian.db'))).toBe(true);
  });
});
