// Historian speed and size.
// 1. Ingest: 500 meters × 6 quantities polled every 3 s, committed one transaction per cycle by
//    the SampleWriter with rollups, beside a raw better-sqlite3 batched insert of the same rows
//    into the same table layout, same pragmas, in the same run; and the main-thread time of one
//    commit, a cycle a second, at the demo village's size and at 500 meters; and the main-thread
//    time per cycle when a worker thread does the commits (as the console does), at both sizes.
// 2. Queries on one year of 500 meters: the rollups the historian keeps for years (15-minute,
//    hourly, daily: power, import and export per meter) are generated inside SQLite with a
//    recursive CTE, in primary-key order, plus 1-minute rows for the last 7 days (the historian
//    keeps 90; the query reads one day either way). Raw samples are not generated: no query here
//    reads them. Query times: a month of daily energy for every member, and a one-day chart at
//    1-minute resolution of one member. Size: bytes per meter-year of the long-term rollups, and
//    the steady state with raw samples (14 days) and 1-minute rows (90 days) added, from the
//    measured bytes per row.
import Database from 'better-sqlite3';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Checkpointer } from '../../electron/historian/checkpointer.ts';
import { openHistorianDb, type Db } from '../../electron/historian/database.ts';
import { IngestClient } from '../../electron/historian/ingest-client.ts';
import { memberEnergy, queryHistory, type HistoryReader } from '../../electron/historian/queries.ts';
import { SampleWriter, type Sample } from '../../electron/historian/sample-writer.ts';
import type { SiteFile } from '../../shared/site/schema.ts';

const METERS = 500;
const QUANTITIES = [
  ['powerKW', 'kW'],
  ['energyImportKWh', 'kWh'],
  ['energyExportKWh', 'kWh'],
  ['voltageV', 'V'],
  ['frequencyHz', 'Hz'],
  ['currentA', 'A'],
] as const;
const CYCLES = 400;
const STEP_MS = 3000;
const TIME_ZONE = 'Europe/Lisbon';

function cycleSamples(meters: number, cycle: number, t0: number): Sample[] {
  const t = t0 + cycle * STEP_MS;
  const out: Sample[] = [];
  for (let m = 0; m < meters; m++) {
    const device = `m${m}`;
    const power = 2 + Math.sin((cycle + m) / 50);
    for (const [quantity, unit] of QUANTITIES) {
      let value: number;
      if (quantity === 'energyImportKWh') value = 1000 + m + (cycle * STEP_MS * power) / 3_600_000;
      else if (quantity === 'energyExportKWh') value = 500 + m + cycle * 0.0001;
      else if (quantity === 'powerKW') value = power;
      else if (quantity === 'voltageV') value = 230 + Math.sin(cycle / 7);
      else if (quantity === 'frequencyHz') value = 50 + Math.sin(cycle / 11) / 100;
      else value = power * 4.3;
      out.push({ device, quantity, unit, timeMs: t + m, value, quality: 'good' });
    }
  }
  return out;
}

function percentile(values: number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
}

const round = (v: number, digits = 2) => Number(v.toFixed(digits));

function ingest(dir: string) {
  const t0 = Date.UTC(2026, 5, 1, 9, 0, 0);
  const cycles = Array.from({ length: CYCLES }, (_, c) => cycleSamples(METERS, c, t0));
  const total = cycles.reduce((n, c) => n + c.length, 0);

  // Raw baseline: the same rows, the same table and pragmas, one transaction per cycle.
  const raw = new Database(path.join(dir, 'raw.db'));
  raw.pragma('journal_mode = WAL');
  raw.pragma('synchronous = NORMAL');
  raw.exec(
    'CREATE TABLE sample (time_ms INTEGER NOT NULL, series INTEGER NOT NULL, value REAL, quality INTEGER NOT NULL, PRIMARY KEY (time_ms, series)) WITHOUT ROWID',
  );
  const ids = new Map<string, number>();
  const idOf = (s: Sample) => {
    const key = `${s.device}/${s.quantity}`;
    let id = ids.get(key);
    if (id === undefined) ids.set(key, (id = ids.size + 1));
    return id;
  };
  const insert = raw.prepare('INSERT INTO sample (time_ms, series, value, quality) VALUES (?, ?, ?, ?)');
  const commit = raw.transaction((batch: Sample[]) => {
    for (const s of batch) insert.run(s.timeMs, idOf(s), s.value, 0);
  });
  let started = performance.now();
  for (const batch of cycles) commit(batch);
  const rawMs = performance.now() - started;
  raw.close();

  const db = openHistorianDb(path.join(dir, 'historian'));
  const writer = new SampleWriter(db, { rollups: { timeZone: TIME_ZONE, intervalMinutes: 15 } });
  started = performance.now();
  for (const batch of cycles) {
    for (const s of batch) writer.add(s);
    writer.flush();
  }
  const historianMs = performance.now() - started;
  const rollupRows = (db.prepare('SELECT count(*) AS n FROM rollup').get() as { n: number }).n;
  db.close();

  return {
    ingestSamples: total,
    ingestSamplesPerCycle: METERS * QUANTITIES.length,
    rawInsertSamplesPerS: Math.round(total / (rawMs / 1000)),
    historianSamplesPerS: Math.round(total / (historianMs / 1000)),
    historianVsRaw: round(rawMs / historianMs, 3),
    rollupRowsWritten: rollupRows,
  };
}

/**
 * Main-thread time of one commit as the console runs it (automatic checkpoints off, PASSIVE ones
 * on the worker every 30 cycles), a cycle a second for 20 minutes of site time: wall time, and
 * CPU time, which on a shared machine leaves out the time spent waiting to run.
 */
async function commitTimes(dir: string, devices: number, name: string) {
  const t0 = Date.UTC(2026, 5, 1, 9, 0, 0);
  const dataDir = path.join(dir, name);
  const db = openHistorianDb(dataDir);
  const checkpointer = new Checkpointer(db, path.join(dataDir, 'historian.db'), () => undefined);
  if (checkpointer.mode === 'worker') db.pragma('wal_autocheckpoint = 0');
  const writer = new SampleWriter(db, { rollups: { timeZone: TIME_ZONE, intervalMinutes: 15 } });
  const wall: number[] = [];
  const cpu: number[] = [];
  for (let c = 0; c < 1200; c++) {
    const batch = cycleSamples(devices, c, t0 - c * STEP_MS + c * 1000);
    const started = performance.now();
    const used = process.cpuUsage();
    for (const s of batch) writer.add(s);
    writer.flush();
    if (c % 30 === 29) checkpointer.run(c);
    const u = process.cpuUsage(used);
    wall.push(performance.now() - started);
    cpu.push((u.user + u.system) / 1000);
    // Let the worker's checkpoint run beside the next cycles, as it does in the console.
    if (c % 30 === 29) await new Promise((r) => setImmediate(r));
  }
  await checkpointer.close();
  db.close();
  const stats = (v: number[]) => ({
    p50: round(percentile(v, 0.5)),
    p99: round(percentile(v, 0.99)),
    max: round(Math.max(...v)),
  });
  return {
    samplesPerCycle: devices * QUANTITIES.length,
    wallMs: stats(wall),
    cpuMs: stats(cpu),
    checkpoints: checkpointer.mode,
  };
}

/**
 * Main-thread time per cycle as the console runs it with the ingest worker: buffering a cycle's
 * samples and posting them; the worker commits, rolls up, keeps retention and acknowledges, and
 * the next cycle starts once it has (the console has a second; the bench does not wait longer).
 * The wall time bounds the main thread's time from above (a thread cannot run longer than it
 * takes). Node gives CPU only for the whole process, so the CPU figure also counts the worker and
 * V8's helper threads during those moments, and can exceed the wall time. The worker's own time
 * per batch is given beside them.
 */
async function workerCycleTimes(dir: string, devices: number, name: string) {
  const t0 = Date.UTC(2026, 5, 1, 9, 0, 0);
  const dataDir = path.join(dir, name);
  const db = openHistorianDb(dataDir);
  const file = path.join(dataDir, 'historian.db');
  const checkpointer = new Checkpointer(db, file, () => undefined);
  if (checkpointer.mode === 'worker') db.pragma('wal_autocheckpoint = 0');
  const client = await IngestClient.start(
    {
      file,
      dataDir,
      site: syntheticSite(),
      retention: { rawDays: 14, minuteDays: 90 },
      autoCheckpoint: checkpointer.mode !== 'worker',
      retentionBudgetMs: 20,
      maxPendingSamples: 300_000,
    },
    () => undefined,
    () => undefined,
  );
  const wall: number[] = [];
  const cpu: number[] = [];
  const quality = { good: 0, stale: 1, bad: 2, 'not-implemented': 3 } as const;
  for (let c = 0; c < 1200; c++) {
    const batch = cycleSamples(devices, c, t0 - c * STEP_MS + c * 1000);
    const started = performance.now();
    const used = process.cpuUsage();
    for (const s of batch) client.add(s.device, s.quantity, s.unit, s.timeMs, s.value, quality[s.quality]);
    client.post(t0 + c * 1000);
    if (c % 30 === 29) checkpointer.run(c);
    const u = process.cpuUsage(used);
    wall.push(performance.now() - started);
    cpu.push((u.user + u.system) / 1000);
    await client.settled();
  }
  const written = client.written;
  const commit = [...client.commitMs];
  await client.stop(t0 + 1200 * 1000);
  await checkpointer.close();
  db.close();
  if (client.lastError !== null) throw new Error(`bench worker: ${client.lastError}`);
  if (written !== 1200 * devices * QUANTITIES.length)
    throw new Error(`bench worker wrote ${written} samples`);
  // The first minute is warm-up (JIT): reported apart, as the console's status window soon drops it.
  const stats = (v: number[]) => ({
    p50: round(percentile(v, 0.5)),
    p99: round(percentile(v, 0.99)),
    max: round(Math.max(...v)),
  });
  return {
    samplesPerCycle: devices * QUANTITIES.length,
    samplesWritten: written,
    mainWallMs: stats(wall),
    mainWallMsAfterFirstMinute: stats(wall.slice(60)),
    processCpuMs: stats(cpu),
    processCpuMsAfterFirstMinute: stats(cpu.slice(60)),
    workerBatchMs: stats(commit),
    checkpoints: checkpointer.mode,
  };
}

/** A site of 500 members, each metered by its own meter; only what the queries read. */
function syntheticSite(): SiteFile {
  const members = Array.from({ length: METERS }, (_, m) => ({
    id: `member-${m}`,
    name: `Member ${m}`,
    meter: `m${m}`,
  }));
  const devices = Array.from({ length: METERS }, (_, m) => ({
    id: `m${m}`,
    name: `Meter ${m}`,
    kind: 'member-meter',
    pollPeriodMs: 2000,
  }));
  return {
    site: { id: 'bench', name: 'Bench', timezone: TIME_ZONE },
    grid: { kind: 'off-grid' },
    topology: { root: 'root', buses: [], branches: [] },
    members,
    devices,
    market: { intervalMinutes: 15 },
  } as unknown as SiteFile;
}

function generateYear(db: Db, yearStart: number, now: number) {
  const started = performance.now();
  const insertSeries = db.prepare(
    'INSERT INTO series (id, device, quantity, unit, kind, first_ms) VALUES (?, ?, ?, ?, ?, ?)',
  );
  db.transaction(() => {
    let id = 1;
    for (let m = 0; m < METERS; m++) {
      insertSeries.run(id++, `m${m}`, 'powerKW', 'kW', 'power', yearStart);
      insertSeries.run(id++, `m${m}`, 'energyImportKWh', 'kWh', 'counter', yearStart);
      insertSeries.run(id++, `m${m}`, 'energyExportKWh', 'kWh', 'counter', yearStart);
    }
  })();
  db.pragma('synchronous = OFF');
  // Days are taken as 24 h here: the bench measures reads, not calendar arithmetic.
  const levels: Array<[res: number, lengthMs: number, from: number]> = [
    [15, 900_000, yearStart],
    [60, 3_600_000, yearStart],
    [1440, 86_400_000, yearStart],
    [1, 60_000, now - 7 * 86_400_000],
  ];
  for (const [res, lengthMs, from] of levels) {
    const count = Math.floor((now - from) / lengthMs);
    const samplesPerBucket = Math.max(1, Math.round(lengthMs / 2000));
    db.exec(`
      INSERT INTO rollup (res, series, start_ms, n, sum, min, max, delta, pos, neg, gap_ms, flags)
      WITH RECURSIVE t(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM t WHERE i < ${count - 1})
      SELECT ${res}, s.id, ${from} + t.i * ${lengthMs}, ${samplesPerBucket},
        CASE s.kind WHEN 'power' THEN ${samplesPerBucket} * (abs(random() % 3000) / 1000.0) END,
        CASE s.kind WHEN 'power' THEN 0.1 ELSE 1000.0 END,
        CASE s.kind WHEN 'power' THEN 4.2 ELSE 1001.0 END,
        CASE s.kind WHEN 'counter' THEN abs(random() % 1000) / 1000.0 * ${lengthMs / 3_600_000} END,
        CASE s.kind WHEN 'power' THEN abs(random() % 1000) / 1000.0 END,
        CASE s.kind WHEN 'power' THEN 0.0 END,
        0, 0
      FROM series s, t ORDER BY s.id, t.i`);
  }
  db.pragma('synchronous = NORMAL');
  db.pragma('wal_checkpoint(TRUNCATE)');
  return performance.now() - started;
}

function timeIt(fn: () => unknown, runs = 9): { firstMs: number; medianMs: number; medianCpuMs: number } {
  const times: number[] = [];
  const cpu: number[] = [];
  for (let i = 0; i < runs; i++) {
    const started = performance.now();
    const used = process.cpuUsage();
    fn();
    const u = process.cpuUsage(used);
    times.push(performance.now() - started);
    cpu.push((u.user + u.system) / 1000);
  }
  return {
    firstMs: round(times[0]!),
    medianMs: round(percentile(times, 0.5)),
    medianCpuMs: round(percentile(cpu, 0.5)),
  };
}

function queries(dir: string) {
  const dataDir = path.join(dir, 'year');
  const db = openHistorianDb(dataDir);
  const now = Date.UTC(2026, 10, 20, 0, 0, 0);
  const yearStart = now - 365 * 86_400_000;
  const generateMs = generateYear(db, yearStart, now);
  const rows = (db.prepare('SELECT count(*) AS n FROM rollup').get() as { n: number }).n;
  const minuteRows = (db.prepare('SELECT count(*) AS n FROM rollup WHERE res = 1').get() as { n: number }).n;
  db.close();
  const file = path.join(dataDir, 'historian.db');
  const bytes = fs.statSync(file).size;

  // A fresh connection, as the console has after a start: nothing of the file is cached by SQLite.
  const reader: HistoryReader = {
    db: openHistorianDb(dataDir),
    site: syntheticSite(),
    intervalMinutes: 15,
    retention: { rawDays: 14, minuteDays: 90 },
    now: () => now,
  };
  const monthFrom = Date.UTC(2026, 9, 1) - 3_600_000;
  const monthTo = Date.UTC(2026, 10, 1);
  const month = timeIt(() => memberEnergy(reader, { from: monthFrom, to: monthTo, period: 'day' }));
  const check = memberEnergy(reader, { from: monthFrom, to: monthTo, period: 'day' });
  const day = timeIt(() =>
    queryHistory(reader, {
      from: now - 2 * 86_400_000,
      to: now - 86_400_000,
      targets: [{ kind: 'member', id: 'member-250' }],
    }),
  );
  const chart = queryHistory(reader, {
    from: now - 2 * 86_400_000,
    to: now - 86_400_000,
    targets: [{ kind: 'member', id: 'member-250' }],
  });
  const year = timeIt(() =>
    queryHistory(reader, { from: yearStart, to: now, targets: [{ kind: 'member', id: 'member-17' }] }),
  );
  reader.db.close();

  // Bytes per row of each kind, to size the steady state: raw samples measured on the historian's
  // own file from the ingest bench (its sample and sample_by_time tables), not on the baseline's.
  const longTermRows = rows - minuteRows;
  const bytesPerRollupRow = bytes / rows;
  const rawBytesPerRow = rawSampleBytes(path.join(dir, 'historian', 'historian.db'), [
    'sample',
    'sample_by_time',
  ]);
  const baselineBytesPerRow = rawSampleBytes(path.join(dir, 'raw.db'), ['sample']);
  const longTermPerMeterYear = (longTermRows * bytesPerRollupRow) / METERS;
  // A member meter polled every 2 s: 6 quantities; rollups of all 6 (the bench generated 3).
  const rawPerMeter14Days = 6 * ((14 * 86_400) / 2) * rawBytesPerRow;
  const minutePerMeter90Days = 6 * 90 * 1440 * bytesPerRollupRow;
  return {
    generatedRollupRows: rows,
    generateS: round(generateMs / 1000, 1),
    fileBytes: bytes,
    monthOfDailyEnergyAllMembersMs: month,
    monthPeriods: check.periods.length,
    monthMembers: check.members.length,
    oneDayOneMinuteChartMs: day,
    oneDayChartResolution: chart.resolution,
    oneDayChartPoints: chart.series.reduce((n, s) => n + s.times.length, 0),
    oneYearChartAutoMs: year,
    bytesPerRollupRow: round(bytesPerRollupRow, 1),
    bytesPerRawSample: round(rawBytesPerRow, 1),
    baselineBytesPerRawSample: round(baselineBytesPerRow, 1),
    longTermRollupsMBPerMeterYear3Series: round(longTermPerMeterYear / 1e6, 2),
    longTermRollupsMBPerMeterYear6Series: round((2 * longTermPerMeterYear) / 1e6, 2),
    steadyStateMBPerMeter: round(
      (2 * longTermPerMeterYear + rawPerMeter14Days + minutePerMeter90Days) / 1e6,
      1,
    ),
  };
}

/**
 * Bytes per raw sample in `file`: the pages of the tables (and their indexes) that hold raw
 * samples, over the samples in `sample`. Counted per table with dbstat, so the other tables of the
 * historian's file (series, rollups, batches) do not inflate the figure.
 */
function rawSampleBytes(file: string, tables: readonly string[]): number {
  const db = new Database(file, { readonly: true });
  try {
    const n = (db.prepare('SELECT count(*) AS n FROM sample').get() as { n: number }).n;
    const marks = tables.map(() => '?').join(', ');
    const names = (
      db.prepare(`SELECT name FROM sqlite_schema WHERE tbl_name IN (${marks})`).all(...tables) as Array<{
        name: string;
      }>
    ).map((r) => r.name);
    const { bytes } = db
      .prepare(
        `SELECT coalesce(sum(pgsize), 0) AS bytes FROM dbstat WHERE name IN (${names.map(() => '?').join(', ')})`,
      )
      .get(...names) as { bytes: number };
    return bytes / n;
  } finally {
    db.close();
  }
}

export default async function historianBench(): Promise<Record<string, unknown>> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cw-hist-bench-'));
  try {
    return {
      loadAverage: os.loadavg().map((l) => round(l, 1)),
      ...ingest(dir),
      commitDemo: await commitTimes(dir, 55, 'demo'),
      commit500Meters: await commitTimes(dir, 500, 'meters'),
      mainThreadDemoWithWorker: await workerCycleTimes(dir, 55, 'worker-demo'),
      mainThread500MetersWithWorker: await workerCycleTimes(dir, 500, 'worker-meters'),
      ...queries(dir),
    };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
