// Migration 1 → 2: a historian written by the walking skeleton (series-major raw samples, no
// rollups) is upgraded in place on open: every sample kept, series kinds set, the file marked as
// ours, and the rollups built from the kept samples on the first start.
import Database from 'better-sqlite3';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { APPLICATION_ID, openHistorianDb, SCHEMA_VERSION } from '../../electron/historian/database.ts';
import { SampleWriter } from '../../electron/historian/sample-writer.ts';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cw-hist-migrate-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('historian schema migration 1 → 2', () => {
  it('keeps every sample and builds the rollups from them', () => {
    const t0 = Date.UTC(2026, 0, 5, 10, 0, 0);
    const v1 = new Database(path.join(dir, 'historian.db'));
    v1.exec(`
      CREATE TABLE series (id INTEGER PRIMARY KEY, device TEXT NOT NULL, quantity TEXT NOT NULL, unit TEXT NOT NULL, UNIQUE (device, quantity));
      CREATE TABLE sample (series INTEGER NOT NULL REFERENCES series(id), time_ms INTEGER NOT NULL, value REAL, quality INTEGER NOT NULL, PRIMARY KEY (series, time_ms)) WITHOUT ROWID;
      CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
      INSERT INTO series (id, device, quantity, unit) VALUES (1, 'm1', 'energyImportKWh', 'kWh'), (2, 'm1', 'powerKW', 'kW');
    `);
    v1.pragma('user_version = 1');
    const insert = v1.prepare('INSERT INTO sample (series, time_ms, value, quality) VALUES (?, ?, ?, 0)');
    // 40 minutes at 3 kW, read every 5 s.
    for (let s = 0; s <= 2400; s += 5) {
      insert.run(1, t0 + s * 1000, 20 + (3 * s) / 3600);
      insert.run(2, t0 + s * 1000, 3);
    }
    v1.close();

    const db = openHistorianDb(dir);
    expect(db.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
    expect(db.pragma('application_id', { simple: true })).toBe(APPLICATION_ID);
    expect(db.prepare('SELECT id, kind FROM series ORDER BY id').all()).toEqual([
      { id: 1, kind: 'counter' },
      { id: 2, kind: 'power' },
    ]);
    expect((db.prepare('SELECT count(*) AS n FROM sample').get() as { n: number }).n).toBe(2 * 481);

    const writer = new SampleWriter(db, { rollups: { timeZone: 'UTC', intervalMinutes: 15 } });
    expect(writer.lastRecovery?.samplesReplayed).toBe(2 * 481);
    const intervals = db
      .prepare('SELECT start_ms, delta, gap_ms FROM rollup WHERE res = 15 AND series = 1 ORDER BY start_ms')
      .all() as Array<{ start_ms: number; delta: number; gap_ms: number }>;
    expect(intervals.map((r) => r.start_ms)).toEqual([t0, t0 + 900_000]);
    for (const r of intervals) {
      expect(r.delta).toBeCloseTo(0.75, 9);
      expect(r.gap_ms).toBe(0);
    }
    const energy = db
      .prepare('SELECT pos FROM rollup WHERE res = 15 AND series = 2 ORDER BY start_ms')
      .all() as Array<{ pos: number }>;
    for (const r of energy) expect(r.pos).toBeCloseTo(0.75, 9);
    db.close();
  });
});
