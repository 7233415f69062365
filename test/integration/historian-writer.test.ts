// The ingest on real SQLite files: duplicates and late samples, a writer abandoned mid-stream (a
// crash) and resumed gives the same rollups as one that never stopped, a rebuild from raw gives
// them too, and a full disk loses nothing that was committed or buffered.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { describeSqliteError, openHistorianDb, type Db } from '../../electron/historian/database.ts';
import { cascadeFindings, rawAgreementFindings } from '../../electron/historian/db-check.ts';
import { intervalEnergies } from '../../electron/historian/interval-energy.ts';
import { rebuildRollups } from '../../electron/historian/rollup-rebuild.ts';
import { SampleWriter, type RollupOptions, type Sample } from '../../electron/historian/sample-writer.ts';
import { demoSite } from '../fixtures/demo-site.ts';

const dirs: string[] = [];
function freshDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cw-hist-writer-'));
  dirs.push(dir);
  return dir;
}
afterAll(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

const OPTIONS: RollupOptions = { timeZone: 'Europe/Lisbon', intervalMinutes: 15 };
// 23:40 local on the last Saturday of October: the night the clocks go back, so days of 25 hours.
const T0 = Date.UTC(2026, 9, 24, 22, 40, 0);

/** Two meters every 2 s with counters, power and voltage; `cycle` seconds / 2 from T0. */
function cycle(n: number): Sample[] {
  const t = T0 + n * 2000;
  const out: Sample[] = [];
  for (const [device, rateKW] of [
    ['m1', 3.6],
    ['m2', 1.8],
  ] as const) {
    const power = rateKW * (1 + 0.5 * Math.sin(n / 40));
    out.push(
      {
        device,
        quantity: 'energyImportKWh',
        unit: 'kWh',
        timeMs: t,
        value: 100 + (n * 2 * rateKW) / 3600,
        quality: 'good',
      },
      { device, quantity: 'powerKW', unit: 'kW', timeMs: t, value: power, quality: 'good' },
      { device, quantity: 'voltageV', unit: 'V', timeMs: t + 3, value: 230 + Math.sin(n), quality: 'good' },
    );
  }
  return out;
}

function run(
  db: Db,
  from: number,
  to: number,
  writer = new SampleWriter(db, { rollups: OPTIONS }),
): SampleWriter {
  for (let n = from; n < to; n++) {
    for (const s of cycle(n)) writer.add(s);
    writer.flush();
  }
  return writer;
}

function rollups(db: Db) {
  return db.prepare('SELECT * FROM rollup ORDER BY res, series, start_ms').all();
}

describe('sample writer', () => {
  it('drops duplicates and late samples, counts them, and leaves the rollups as they were', () => {
    const a = openHistorianDb(freshDir());
    const b = openHistorianDb(freshDir());
    const clean = run(a, 0, 1200);
    const noisy = new SampleWriter(b, { rollups: OPTIONS });
    for (let n = 0; n < 1200; n++) {
      for (const s of cycle(n)) noisy.add(s);
      // The same cycle again, and one from a minute ago, as a confused gateway might send them.
      if (n % 7 === 0) for (const s of cycle(n)) noisy.add({ ...s, value: 999 });
      if (n > 30 && n % 11 === 0) for (const s of cycle(n - 30)) noisy.add(s);
      noisy.flush();
    }
    expect(noisy.dropped).toBeGreaterThan(0);
    expect(noisy.written).toBe(clean.written);
    expect(rollups(b)).toEqual(rollups(a));
    a.close();
    b.close();
  });

  it('resumes after a crash with exactly the rollups of a run that never stopped', () => {
    const reference = openHistorianDb(freshDir());
    run(reference, 0, 3000);

    const dir = freshDir();
    const crashed = openHistorianDb(dir);
    // Abandoned without persisting anything beyond its commits, twice, at awkward moments.
    run(crashed, 0, 1234);
    run(crashed, 1234, 2222, new SampleWriter(crashed, { rollups: OPTIONS }));
    const resumed = new SampleWriter(crashed, { rollups: OPTIONS });
    expect(resumed.lastRecovery?.samplesReplayed).toBeGreaterThan(0);
    run(crashed, 2222, 3000, resumed);

    expect(rollups(crashed)).toEqual(rollups(reference));
    for (const finding of cascadeFindings(crashed, OPTIONS)) expect(finding).toMatchObject({ ok: true });
    const agreement = rawAgreementFindings(crashed, OPTIONS, T0, T0 + 3000 * 2000);
    expect(agreement.compared).toBeGreaterThan(100);
    expect(agreement.mismatches).toEqual([]);
    reference.close();
    crashed.close();
  });

  it('rebuilds the same rollups from raw', () => {
    const db = openHistorianDb(freshDir());
    run(db, 0, 3000);
    const before = rollups(db);
    db.prepare('UPDATE rollup SET delta = delta + 1 WHERE delta IS NOT NULL').run();
    const report = rebuildRollups(db, OPTIONS);
    expect(report.samplesReplayed).toBeGreaterThan(0);
    expect(rollups(db)).toEqual(before);
    db.close();
  });

  it('gives each local day of 25 hours its own whole energy', () => {
    const db = openHistorianDb(freshDir());
    // 23:40 Saturday to 02:20 Monday local time, across the clocks going back on Sunday.
    run(db, 0, 27 * 1800 + 600);
    const m1 = (
      db.prepare("SELECT id FROM series WHERE device = 'm1' AND quantity = 'energyImportKWh'").get() as {
        id: number;
      }
    ).id;
    const days = db
      .prepare('SELECT start_ms, delta, gap_ms FROM rollup WHERE res = 1440 AND series = ? ORDER BY start_ms')
      .all(m1) as Array<{
      start_ms: number;
      delta: number;
      gap_ms: number;
    }>;
    const sunday = days.find((d) => d.start_ms === Date.UTC(2026, 9, 24, 23, 0, 0));
    expect(sunday).toBeDefined();
    // Sunday lasts 25 hours at 3.6 kW: 90 kWh, measured all day.
    expect(sunday!.delta).toBeCloseTo(90, 9);
    expect(sunday!.gap_ms).toBe(0);
    db.close();
  });

  it('keeps everything across a full disk and writes it once there is room again', () => {
    const dir = freshDir();
    const db = openHistorianDb(dir);
    const writer = run(db, 0, 300);
    const pages = db.pragma('page_count', { simple: true }) as number;
    // As a full disk would: SQLite may not grow the file beyond what it has now.
    db.pragma(`max_page_count = ${pages}`);
    let failure: unknown = null;
    let n = 300;
    for (; n < 3000 && failure === null; n++) {
      for (const s of cycle(n)) writer.add(s);
      try {
        writer.flush();
      } catch (error) {
        failure = error;
      }
    }
    expect((failure as { code?: string }).code).toBe('SQLITE_FULL');
    expect(describeSqliteError(failure, dir)).toContain('is full');
    expect(writer.pendingSamples).toBeGreaterThan(0);
    // More cycles arrive while the disk is full: kept in memory.
    for (let k = 0; k < 20; k++, n++) for (const s of cycle(n)) writer.add(s);
    expect(() => writer.flush()).toThrow();
    db.pragma('max_page_count = 1073741823');
    writer.flush();
    expect(writer.pendingSamples).toBe(0);
    expect(writer.lost).toBe(0);
    run(db, n, 3000, writer);

    const reference = openHistorianDb(freshDir());
    run(reference, 0, 3000);
    expect(rollups(db)).toEqual(rollups(reference));
    expect((db.prepare('SELECT count(*) AS n FROM sample').get() as { n: number }).n).toBe(3000 * 6);
    reference.close();
    db.close();
  });

  it('hands settlement the energies of an interval from the counters', () => {
    const site = demoSite();
    const db = openHistorianDb(freshDir());
    const writer = new SampleWriter(db, { rollups: OPTIONS });
    const start = Date.UTC(2026, 5, 1, 10, 0, 0);
    const clinic = site.members.find((m) => m.id === 'clinic')!;
    // The clinic's meter: 6 kW imported for 20 minutes, read every 2 s.
    for (let s = 0; s <= 1200; s += 2) {
      writer.add({
        device: clinic.meter,
        quantity: 'energyImportKWh',
        unit: 'kWh',
        timeMs: start + s * 1000,
        value: 50 + (6 * s) / 3600,
        quality: 'good',
      });
      writer.add({
        device: clinic.meter,
        quantity: 'energyExportKWh',
        unit: 'kWh',
        timeMs: start + s * 1000,
        value: 7,
        quality: 'good',
      });
      writer.flush();
    }
    const e = intervalEnergies(db, site, start, 15, 'grid-connected', {
      openRows: (id, res) => writer.openRows(id, res),
    });
    const clinicEnergy = e.members.find((m) => m.member === 'clinic')!;
    expect(clinicEnergy.importKWh).toBeCloseTo(1.5, 9);
    expect(clinicEnergy.exportKWh).toBe(0);
    expect(clinicEnergy.complete).toBe(true);
    // Other members have no samples at all: nothing counted, and not complete.
    expect(e.members.find((m) => m.member !== 'clinic')).toMatchObject({ importKWh: 0, complete: false });
    expect(e.complete).toBe(false);
    db.close();
  });
});
