// A console killed with SIGKILL while it ingests a fast-polled simulated site loses nothing it
// had acknowledged: after a restart the file passes PRAGMA integrity_check, every sample the API
// had reported committed is there with its value, and the rollups agree with the raw samples.
import Database from 'better-sqlite3';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import WebSocket from 'ws';
import { afterAll, describe, expect, it } from 'vitest';
import type { HistoryQueryResult, HistoryStatus } from '../../shared/api/history-api.ts';
import type { ServerMessage } from '../../shared/api/wire.ts';
import { runCli, startServe, type Served } from '../fixtures/cli.ts';
import { demoSiteJson } from '../fixtures/demo-site.ts';
import { repoRoot } from '../fixtures/paths.ts';
import { waitFor } from '../fixtures/wait.ts';
import { signInByLink } from '../fixtures/session.ts';

const built = fs.existsSync(path.join(repoRoot, 'out', 'renderer', 'index.html'));
if (!built)
  console.log('historian crash test skipped: the renderer is not built (npm run build), serve needs it');

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cw-hist-crash-'));
const dataDir = path.join(dir, 'data');
const siteFile = path.join(dir, 'site.json');
const running: Served[] = [];

afterAll(async () => {
  for (const s of running) if (s.child.exitCode === null && s.child.signalCode === null) await s.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

/** A WebSocket client for the console's API. */
async function connect(served: Served) {
  const ws = new WebSocket(`${served.url.replace('http', 'ws')}api`, {
    origin: served.url.replace(/\/$/, ''),
    headers: { cookie: await signInByLink(served) },
  });
  const results = new Map<number, ServerMessage>();
  ws.on('message', (data) => {
    const m = JSON.parse((data as Buffer).toString('utf8')) as ServerMessage;
    if (m.type === 'result') results.set(m.id, m);
  });
  await new Promise((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('error', reject);
  });
  let id = 0;
  return {
    async call<T>(name: string, request: unknown): Promise<T> {
      const mine = ++id;
      ws.send(JSON.stringify({ type: 'call', id: mine, name, request }));
      const m = await waitFor(() => results.get(mine), 20_000, name);
      if (m.type !== 'result' || !m.ok) throw new Error(`${name} failed: ${JSON.stringify(m)}`);
      return m.response as T;
    },
    close: () => ws.close(),
  };
}

describe.skipIf(!built)('historian across SIGKILL', () => {
  it(
    'keeps every acknowledged sample, stays sound and keeps rollups equal to raw',
    { timeout: 240_000 },
    async () => {
      // The demo village polled four times a second: about 1,300 samples a second.
      const site = demoSiteJson() as { devices: Array<Record<string, unknown>> };
      for (const d of site.devices) {
        d.pollPeriodMs = 250;
        d.timeoutMs = 200;
      }
      fs.writeFileSync(siteFile, JSON.stringify(site));
      const args = ['--site', siteFile, '--sim', '--data', dataDir];

      const first = await startServe(args);
      running.push(first);
      const api = await connect(first);
      let status: HistoryStatus | null = null;
      const deadline = Date.now() + 150_000;
      while (Date.now() < deadline) {
        status = await api.call<HistoryStatus>('history/status', {});
        // Past a minute boundary, so that closed 1-minute rollups are compared with raw below.
        const crossed =
          status.rawFromMs !== null &&
          Math.floor((status.committed?.lastMs ?? 0) / 60_000) > Math.floor(status.rawFromMs / 60_000);
        if (status.samplesWritten > 15_000 && crossed) break;
        await new Promise((r) => setTimeout(r, 250));
      }
      expect(status?.samplesWritten).toBeGreaterThan(15_000);
      expect(Math.floor((status?.committed?.lastMs ?? 0) / 60_000)).toBeGreaterThan(
        Math.floor((status?.rawFromMs ?? 0) / 60_000),
      );
      // What the console acknowledged as committed, and some of those samples read back through the API.
      const ack = await api.call<HistoryStatus>('history/status', {});
      const now = Date.now();
      const before = await api.call<HistoryQueryResult>('history/query', {
        from: now - 60_000,
        to: now + 60_000,
        targets: [{ kind: 'device', id: 'pcc-meter' }],
        quantities: ['powerKW', 'energyExportKWh'],
        resolution: 'raw',
      });
      api.close();
      console.log(
        `historian main-thread time per cycle before the kill: wall ${JSON.stringify(ack.cycleMs)}, cpu ${JSON.stringify(ack.cycleCpuMs)}; ` +
          `commits on the ${ack.ingest?.mode} thread: ${JSON.stringify(ack.ingest?.commitMs)}`,
      );
      // The commits ran on the ingest worker, and what it acknowledged is what must survive.
      expect(ack.ingest?.mode).toBe('worker');
      // Killed while it keeps writing, at no particular point of a commit.
      await new Promise((r) => setTimeout(r, 300 + Math.random() * 700));
      const exited = new Promise((resolve) => first.child.once('exit', (_code, signal) => resolve(signal)));
      first.child.kill('SIGKILL');
      expect(await exited).toBe('SIGKILL');

      const second = await startServe(args);
      running.push(second);
      const api2 = await connect(second);
      const after = await api2.call<HistoryStatus>('history/status', {});
      expect(after.startup.recoveredFromCrash).toBe(true);
      // Ingest goes on after the restart.
      let health = after;
      for (let i = 0; i < 80 && health.samplesWritten < 3000; i++) {
        await new Promise((r) => setTimeout(r, 250));
        health = await api2.call<HistoryStatus>('history/status', {});
      }
      expect(health.samplesWritten).toBeGreaterThanOrEqual(3000);
      console.log(
        `historian after restart: startup ${JSON.stringify(health.startup)}, cycle wall ${JSON.stringify(health.cycleMs)} cpu ${JSON.stringify(health.cycleCpuMs)}`,
      );
      api2.close();
      await second.stop();

      const db = new Database(path.join(dataDir, 'historian.db'), { readonly: true });
      try {
        expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
        const committed = ack.committed!;
        const batches = db
          .prepare('SELECT count(*) AS n, sum(samples) AS samples FROM batch WHERE id <= ?')
          .get(committed.batchId) as { n: number; samples: number };
        expect(batches.n).toBe(committed.batchId);
        expect(batches.samples).toBe(ack.samplesWritten);
        const seriesId = db.prepare('SELECT id FROM series WHERE device = ? AND quantity = ?');
        const sampleAt = db.prepare('SELECT value FROM sample WHERE series = ? AND time_ms = ?');
        let checked = 0;
        for (const s of before.series) {
          const id = (seriesId.get('pcc-meter', s.quantity) as { id: number }).id;
          s.times.forEach((t, i) => {
            expect((sampleAt.get(id, t) as { value: number | null } | undefined)?.value).toBe(s.values[i]);
            checked++;
          });
        }
        expect(checked).toBeGreaterThan(20);
        const samplesInFile = (db.prepare('SELECT count(*) AS n FROM sample').get() as { n: number }).n;
        expect(samplesInFile).toBeGreaterThanOrEqual(ack.samplesWritten);
      } finally {
        db.close();
      }

      const check = await runCli(['db', 'check', '--data', dataDir]);
      expect(check.stdout).toContain('historian ok');
      expect(check.stdout).toMatch(/rollups = raw: [1-9]\d* closed/);
      expect(check.code).toBe(0);
    },
  );
});
