// `commonwatt export` and `commonwatt db check` on a historian written by the ingest, and
// retention: raw samples expire after their days, rollups stay.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { META_SITE, openHistorianDb, writeMeta } from '../../electron/historian/database.ts';
import { Retention } from '../../electron/historian/retention.ts';
import { SampleWriter } from '../../electron/historian/sample-writer.ts';
import { runCli } from '../fixtures/cli.ts';
import { demoSite } from '../fixtures/demo-site.ts';

const site = demoSite();
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cw-hist-cli-'));
// 2026-03-29 is the night Lisbon moves from +00:00 to +01:00.
const T0 = Date.UTC(2026, 2, 28, 22, 0, 0);
const HOURS = 6;

beforeAll(() => {
  const db = openHistorianDb(dir);
  writeMeta(db, META_SITE, JSON.stringify(site));
  const writer = new SampleWriter(db, { rollups: { timeZone: site.site.timezone, intervalMinutes: 15 } });
  // The clinic imports 4 kW, the school 2 kW, read every 10 s.
  for (let s = 0; s <= HOURS * 3600; s += 10) {
    for (const [member, kW] of [
      ['clinic', 4],
      ['school', 2],
    ] as const) {
      const meter = site.members.find((m) => m.id === member)!.meter;
      writer.add({
        device: meter,
        quantity: 'energyImportKWh',
        unit: 'kWh',
        timeMs: T0 + s * 1000,
        value: 10 + (kW * s) / 3600,
        quality: 'good',
      });
      writer.add({
        device: meter,
        quantity: 'powerKW',
        unit: 'kW',
        timeMs: T0 + s * 1000,
        value: kW,
        quality: 'good',
      });
    }
    writer.flush();
  }
  db.close();
});

afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('commonwatt export', () => {
  it('writes interval energies of one member as CSV, in local time with the offset of the moment', async () => {
    const r = await runCli([
      'export',
      '--data',
      dir,
      '--from',
      '2026-03-29T00:00',
      '--to',
      '2026-03-29T03:00',
      '--member',
      'clinic',
    ]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split('\n');
    const header = lines[0]!.split(',');
    expect(header.slice(0, 4)).toEqual(['start', 'end', 'device', 'member']);
    const energy = lines
      .slice(1)
      .map((l) => l.split(','))
      .filter((f) => f[4] === 'energyImportKWh');
    // 00:00 to 03:00 local is two hours of clock time that night: 01:00 +00:00 is 02:00 +01:00.
    expect(energy).toHaveLength(8);
    expect(energy[0]![0]).toBe('2026-03-29T00:00:00+00:00');
    expect(energy.at(-1)![1]).toBe('2026-03-29T03:00:00+01:00');
    for (const f of energy) expect(Number(f[header.indexOf('increase')])).toBeCloseTo(1, 9);
    expect(energy.every((f) => f[header.indexOf('complete')] === 'true')).toBe(true);
  });

  it('writes daily energy as JSON with a header that names the site and its timezone', async () => {
    const r = await runCli([
      'export',
      '--data',
      dir,
      '--from',
      '2026-03-28T22:00Z',
      '--to',
      '2026-03-29T04:00Z',
      '--resolution',
      '1h',
      '--format',
      'json',
      '--device',
      'school-meter',
    ]);
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout) as {
      site: string;
      timezone: string;
      rows: Array<Record<string, unknown>>;
    };
    expect(doc).toMatchObject({ site: site.site.id, timezone: 'Europe/Lisbon' });
    const hours = doc.rows.filter((row) => row.quantity === 'energyImportKWh');
    expect(hours.length).toBeGreaterThanOrEqual(5);
    for (const h of hours.slice(0, 5)) expect(h.increase).toBeCloseTo(2, 9);
  });

  it('says plainly what is wrong with a request', async () => {
    const bad = await runCli(['export', '--data', dir, '--from', 'yesterday', '--to', '2026-03-29']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--from 'yesterday' is not an ISO 8601 date/);
    const unknown = await runCli([
      'export',
      '--data',
      dir,
      '--from',
      '2026-03-29',
      '--to',
      '2026-03-30',
      '--member',
      'nobody',
    ]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/no member 'nobody'/);
    const missing = await runCli([
      'export',
      '--data',
      path.join(dir, 'nothing-here'),
      '--from',
      '2026-03-29',
      '--to',
      '2026-03-30',
    ]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/there is no historian in/);
  });
});

describe('commonwatt db check', () => {
  it('passes a sound historian and compares its rollups with raw', async () => {
    const r = await runCli(['db', 'check', '--data', dir]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/ok {7}1h = sum of 15m: [1-9]\d* buckets add up/);
    expect(r.stdout).toMatch(/ok {7}rollups = raw: [1-9]\d* closed/);
  });
});

describe('retention', () => {
  it('deletes raw samples older than their days and keeps the rollups', () => {
    const copy = fs.mkdtempSync(path.join(os.tmpdir(), 'cw-hist-ret-'));
    try {
      fs.copyFileSync(path.join(dir, 'historian.db'), path.join(copy, 'historian.db'));
      const db = openHistorianDb(copy);
      const count = (sql: string) => (db.prepare(sql).get() as { n: number }).n;
      const rollupsBefore = count('SELECT count(*) AS n FROM rollup WHERE res > 1');
      const retention = new Retention(db, { rawDays: 1, minuteDays: 1 });
      // A day and three hours after the first sample: its first three hours have expired.
      const now = T0 + 27 * 3_600_000;
      for (let i = 0; i < 200 && retention.step(now, 50) > 0; i++);
      const cutoff = now - 86_400_000;
      expect(count(`SELECT count(*) AS n FROM sample WHERE time_ms < ${cutoff}`)).toBe(0);
      expect(count(`SELECT count(*) AS n FROM sample WHERE time_ms >= ${cutoff}`)).toBeGreaterThan(0);
      expect(count(`SELECT count(*) AS n FROM rollup WHERE res = 1 AND start_ms < ${cutoff}`)).toBe(0);
      expect(count('SELECT count(*) AS n FROM rollup WHERE res > 1')).toBe(rollupsBefore);
      db.close();
    } finally {
      fs.rmSync(copy, { recursive: true, force: true });
    }
  });
});
