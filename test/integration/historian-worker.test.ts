// The ingest worker on real SQLite files: what it commits (samples, rollups, resume points) is
// row for row what the writer on the main thread commits from the same samples, its totals are
// acknowledged after the commit, the open buckets it answers by message are the inline writer's,
// and a file it cannot open is refused with a readable reason, so the console writes inline.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { HISTORIAN_FILE, openHistorianDb, type Db } from '../../electron/historian/database.ts';
import { IngestClient } from '../../electron/historian/ingest-client.ts';
import type { IngestWorkerData } from '../../electron/historian/ingest-protocol.ts';
import { rollupOptionsFor } from '../../electron/historian/rollup-options.ts';
import { qualityCode, SampleWriter, type Sample } from '../../electron/historian/sample-writer.ts';
import { demoSite } from '../fixtures/demo-site.ts';
import { waitFor } from '../fixtures/wait.ts';

const dirs: string[] = [];
function freshDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cw-hist-worker-'));
  dirs.push(dir);
  return dir;
}
afterAll(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

const T0 = Date.UTC(2026, 5, 1, 9, 58, 0);

/** One second of three meters: counters, power, a gauge, and now and then a bad read. */
function second(n: number): Sample[] {
  const t = T0 + n * 1000;
  const out: Sample[] = [];
  for (const [device, rateKW] of [
    ['m1', 3.6],
    ['m2', -1.8],
    ['m3', 0.4],
  ] as const) {
    const power = rateKW * (1 + 0.5 * Math.sin(n / 40));
    out.push(
      {
        device,
        quantity: 'energyImportKWh',
        unit: 'kWh',
        timeMs: t,
        value: 100 + (n * Math.abs(rateKW)) / 3600,
        quality: 'good',
      },
      { device, quantity: 'powerKW', unit: 'kW', timeMs: t + 1, value: power, quality: 'good' },
      n % 37 === 5
        ? { device, quantity: 'voltageV', unit: 'V', timeMs: t + 2, value: null, quality: 'bad' }
        : {
            device,
            quantity: 'voltageV',
            unit: 'V',
            timeMs: t + 2,
            value: 230 + Math.sin(n),
            quality: 'good',
          },
    );
  }
  return out;
}

function workerData(dir: string): IngestWorkerData {
  return {
    file: path.join(dir, HISTORIAN_FILE),
    dataDir: dir,
    site: demoSite(),
    retention: { rawDays: 14, minuteDays: 90 },
    autoCheckpoint: true,
    retentionBudgetMs: 20,
    maxPendingSamples: 300_000,
  };
}

const dump = (db: Db) => ({
  samples: db
    .prepare('SELECT time_ms, series, value, quality FROM sample ORDER BY time_ms, series')
    .raw()
    .all(),
  rollups: db.prepare('SELECT * FROM rollup ORDER BY res, series, start_ms').raw().all(),
  series: db
    .prepare(
      'SELECT id, device, quantity, unit, kind, closed_ms, carry_ms, carry_value FROM series ORDER BY id',
    )
    .raw()
    .all(),
});

describe('historian ingest worker', () => {
  it('commits what the inline writer commits, acknowledges after the commit and answers open buckets', async () => {
    const site = demoSite();
    const seconds = 20 * 60 + 17;

    const inlineDir = freshDir();
    const inlineDb = openHistorianDb(inlineDir);
    const inline = new SampleWriter(inlineDb, { rollups: rollupOptionsFor(site) });
    for (let n = 0; n < seconds; n++) {
      for (const s of second(n)) inline.add(s);
      inline.flush();
    }

    const dir = freshDir();
    const db = openHistorianDb(dir);
    const failures: Error[] = [];
    const client = await IngestClient.start(
      workerData(dir),
      () => undefined,
      (e) => failures.push(e),
    );
    let posted = 0;
    for (let n = 0; n < seconds; n++) {
      for (const s of second(n)) {
        client.add(s.device, s.quantity, s.unit, s.timeMs, s.value, qualityCode[s.quality]);
        posted++;
      }
      client.post(T0 + n * 1000);
      // Acknowledged means committed: a reader sees every acknowledged sample.
      if (n % 100 === 99) {
        await client.settled();
        const rows = (db.prepare('SELECT count(*) AS n FROM sample').get() as { n: number }).n;
        expect(client.written).toBe(posted);
        expect(rows).toBe(client.written);
        const batches = db.prepare('SELECT count(*) AS n, sum(samples) AS s FROM batch').get() as {
          n: number;
          s: number;
        };
        expect(client.lastBatch?.id).toBe(batches.n);
        expect(batches.s).toBe(client.written);
      }
    }
    await client.settled();
    expect(client.pendingSamples).toBe(0);
    expect(client.lastError).toBeNull();

    // The open buckets, by message, equal the inline writer's for every series and resolution.
    const ids = (db.prepare('SELECT id FROM series ORDER BY id').all() as Array<{ id: number }>).map(
      (r) => r.id,
    );
    const wants: Array<[number, number]> = ids.flatMap((id) =>
      [1, 15, 60, 1440].map((res): [number, number] => [id, res]),
    );
    const open = await client.openRows(wants);
    expect(open).not.toBeNull();
    expect(open!.some((rows) => rows.length > 0)).toBe(true);
    expect(open).toEqual(wants.map(([id, res]) => inline.openRows(id, res)));

    expect(await client.stop(T0 + seconds * 1000)).toBeNull();
    inline.persistAll();
    expect(failures).toEqual([]);
    expect(dump(db)).toEqual(dump(inlineDb));
    expect(
      (db.prepare("SELECT value FROM meta WHERE key = 'run_state'").get() as { value: string }).value,
    ).toBe('stopped');
    db.close();
    inlineDb.close();
  });

  it('hands back every sample it had not acknowledged when the worker dies, for the inline writer', async () => {
    const dir = freshDir();
    const db = openHistorianDb(dir);
    const failures: Error[] = [];
    const client = await IngestClient.start(
      workerData(dir),
      () => undefined,
      (e) => failures.push(e),
    );
    const all: Sample[] = [];
    for (let n = 0; n < 300; n++) {
      for (const s of second(n)) {
        client.add(s.device, s.quantity, s.unit, s.timeMs, s.value, qualityCode[s.quality]);
        all.push(s);
      }
      client.post(T0 + n * 1000);
      if (n === 149) await client.settled();
    }
    // Killed with batches in flight: whatever it had not acknowledged comes back.
    await (client as unknown as { worker: { terminate(): Promise<number> } }).worker.terminate();
    await waitFor(() => failures.length > 0 || undefined, 5000, 'the failure');
    // Read after the failure: buffered here, and handed back too.
    for (let n = 300; n < 310; n++)
      for (const s of second(n)) {
        client.add(s.device, s.quantity, s.unit, s.timeMs, s.value, qualityCode[s.quality]);
        all.push(s);
      }
    const acknowledged = client.written;
    expect(acknowledged).toBeGreaterThanOrEqual(150 * 9);
    const back = client.takeUnacknowledged();
    expect(back.length).toBe(all.length - acknowledged);
    expect(back.length).toBeGreaterThanOrEqual(10 * 9);
    expect(back).toEqual(all.slice(acknowledged));
    // As the console falls back: a writer here resumes from the file and takes the rest.
    const writer = new SampleWriter(db, { rollups: rollupOptionsFor(demoSite()) });
    for (const s of back) writer.add(s);
    writer.flush();
    expect((db.prepare('SELECT count(*) AS n FROM sample').get() as { n: number }).n).toBe(all.length);
    db.close();
  });

  it('refuses a file it cannot open with the reason, so the console can write inline', async () => {
    const dir = freshDir();
    await expect(
      IngestClient.start(
        workerData(dir),
        () => undefined,
        () => undefined,
      ),
    ).rejects.toThrow(/historian\.db|unable to open|no such file|does not exist/i);
  });
});
