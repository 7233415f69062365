// Raw samples into the historian: buffered per poll cycle and committed in one transaction a
// second, together with the rollup buckets the cycle closed, the series' resume points and a
// batch row, so a commit is all of a cycle or none of it. The cost of a commit is paid once for
// all devices, not once per value.
//
// Samples of a series are accepted in time order only: a sample at or before the last one of its
// series (a duplicate, or a late arrival) is dropped and counted, because it would change
// buckets that are already final.
import type { Quality } from '../../shared/api/live.ts';
import { MS_PER_MINUTE } from '../../shared/units.ts';
import type { Db } from './database.ts';
import { RollupAggregator, SeriesAggregate, type RollupPlan, type RollupRow } from './rollup-aggregator.ts';
import { seriesKindOf, type SeriesKind } from './series-kind.ts';

export interface Sample {
  device: string;
  quantity: string;
  unit: string;
  timeMs: number;
  value: number | null;
  quality: Quality;
}

export const qualityCode: Record<Quality, number> = { good: 0, stale: 1, bad: 2, 'not-implemented': 3 };
export const qualityName: readonly Quality[] = ['good', 'stale', 'bad', 'not-implemented'];

export interface RollupOptions extends RollupPlan {
  /** A step between good samples longer than this is not "measured" (gap), per device; default 60 s. */
  gapLimitMs?: (device: string) => number;
  /** Above this a counter's rise is a glitch or a replaced meter, not energy; default 10 MW. */
  maxPowerKW?: (device: string) => number;
}

export interface SampleWriterOptions {
  /** Build rollups as samples are committed (the console does; a bare writer keeps raw only). */
  rollups?: RollupOptions;
  now?: () => number;
  /** Samples kept for retry while commits fail (a full disk); beyond, the oldest are lost. */
  maxPendingSamples?: number;
}

export interface CommittedBatch {
  id: number;
  samples: number;
  firstMs: number | null;
  lastMs: number | null;
  committedMs: number;
}

export interface RecoveryReport {
  series: number;
  windows: number;
  samplesReplayed: number;
  rowsRewritten: number;
  durationMs: number;
}

interface SeriesRow {
  id: number;
  device: string;
  quantity: string;
  unit: string;
  kind: SeriesKind;
  first_ms: number | null;
  last_ms: number | null;
  closed_ms: number | null;
  carry_ms: number | null;
  carry_value: number | null;
}

const REPLAY_SLICE_MS = 5 * MS_PER_MINUTE;

export class SampleWriter {
  readonly aggregator: RollupAggregator | null;
  private readonly byKey = new Map<string, Map<string, SeriesAggregate>>();
  private readonly byId = new Map<number, SeriesAggregate>();
  private readonly devices = new Map<number, string>();
  private pending: Sample[] = [];
  private resyncNeeded = false;
  private readonly now: () => number;
  private readonly maxPending: number;
  private readonly gapLimitMs: (device: string) => number;
  private readonly maxPowerKW: (device: string) => number;
  private readonly insertSeries;
  private readonly findSeries;
  private readonly insertSample;
  private readonly upsertRollup;
  private readonly updateSeries;
  private readonly insertBatch;
  private readonly latestRollupBefore;
  private readonly rollupsBetween;
  /** Samples committed by this writer. */
  written = 0;
  /** Duplicates and late arrivals dropped. */
  dropped = 0;
  /** Samples lost because commits kept failing and the retry buffer was full. */
  lost = 0;
  lastBatch: CommittedBatch | null = null;
  lastRecovery: RecoveryReport | null = null;

  constructor(
    private readonly db: Db,
    options: SampleWriterOptions = {},
  ) {
    this.now = options.now ?? Date.now;
    this.maxPending = options.maxPendingSamples ?? 300_000;
    this.aggregator = options.rollups ? new RollupAggregator(options.rollups) : null;
    this.gapLimitMs = options.rollups?.gapLimitMs ?? (() => 60_000);
    this.maxPowerKW = options.rollups?.maxPowerKW ?? (() => 10_000);
    this.insertSeries = db.prepare(
      `INSERT INTO series (device, quantity, unit, kind, first_ms) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (device, quantity) DO NOTHING`,
    );
    this.findSeries = db.prepare('SELECT * FROM series WHERE device = ? AND quantity = ?');
    // A raw row at the same time as a stored one can only be a bad sample a crash left beyond
    // the replayed stretch (see recover); the good sample that arrives now replaces it.
    this.insertSample = db.prepare(
      'INSERT OR REPLACE INTO sample (time_ms, series, value, quality) VALUES (?, ?, ?, ?)',
    );
    this.upsertRollup = db.prepare(
      `INSERT OR REPLACE INTO rollup (res, series, start_ms, n, sum, min, max, delta, pos, neg, gap_ms, flags)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    this.updateSeries = db.prepare(
      'UPDATE series SET last_ms = ?, closed_ms = ?, carry_ms = ?, carry_value = ? WHERE id = ?',
    );
    this.insertBatch = db.prepare(
      'INSERT INTO batch (committed_ms, samples, first_ms, last_ms) VALUES (?, ?, ?, ?)',
    );
    this.latestRollupBefore = db.prepare(
      'SELECT max(start_ms) AS t FROM rollup WHERE res = ? AND series = ? AND start_ms < ?',
    );
    this.rollupsBetween = db.prepare(
      `SELECT res, series, start_ms, n, sum, min, max, delta, pos, neg, gap_ms, flags FROM rollup
       WHERE res = ? AND series = ? AND start_ms >= ? AND start_ms < ? ORDER BY start_ms`,
    );
    this.recover();
  }

  add(sample: Sample): void {
    this.pending.push(sample);
    if (this.pending.length > this.maxPending) {
      const excess = this.pending.length - this.maxPending;
      this.pending.splice(0, excess);
      this.lost += excess;
    }
  }

  get pendingSamples(): number {
    return this.pending.length;
  }

  /** Hands the buffered samples to another writer (the ingest worker taking over). */
  takePending(): Sample[] {
    const taken = this.pending;
    this.pending = [];
    return taken;
  }

  /**
   * Commits what is buffered, with the rollups it closes; returns how many samples it wrote.
   * On failure nothing of the batch is written, the samples stay buffered for the next flush,
   * and the error is thrown.
   */
  flush(): number {
    if (this.pending.length === 0) return 0;
    if (this.resyncNeeded) {
      this.recover();
      this.resyncNeeded = false;
    }
    const batch = this.pending;
    this.pending = [];
    let result: {
      written: number;
      dropped: number;
      firstMs: number | null;
      lastMs: number | null;
      id: number;
    };
    try {
      result = this.commit(batch);
    } catch (error) {
      // The transaction rolled back, with any series rows it created; the in-memory rollup
      // state ran ahead of the file, so it is rebuilt from the file before the retry.
      this.resyncNeeded = true;
      this.pending = batch.concat(this.pending);
      if (this.pending.length > this.maxPending) {
        const excess = this.pending.length - this.maxPending;
        this.pending.splice(0, excess);
        this.lost += excess;
      }
      throw error;
    }
    this.written += result.written;
    this.dropped += result.dropped;
    this.lastBatch = {
      id: result.id,
      samples: result.written,
      firstMs: result.firstMs,
      lastMs: result.lastMs,
      committedMs: this.now(),
    };
    return result.written;
  }

  private commit(batch: Sample[]) {
    return this.db.transaction(() => {
      let written = 0;
      let dropped = 0;
      let firstMs: number | null = null;
      let lastMs: number | null = null;
      const aggregator = this.aggregator;
      for (const s of batch) {
        const series = this.seriesFor(s);
        const t = Math.round(s.timeMs);
        if (t <= series.lastMs) {
          dropped++;
          continue;
        }
        const value = s.value !== null && Number.isFinite(s.value) ? s.value : null;
        this.insertSample.run(t, series.id, value, qualityCode[s.quality]);
        if (aggregator) aggregator.accept(series, t, value, s.quality === 'good');
        else series.lastMs = t;
        written++;
        if (firstMs === null || t < firstMs) firstMs = t;
        if (lastMs === null || t > lastMs) lastMs = t;
      }
      this.writeRollups();
      const info = this.insertBatch.run(this.now(), written, firstMs, lastMs);
      return { written, dropped, firstMs, lastMs, id: Number(info.lastInsertRowid) };
    })();
  }

  private writeRollups(): void {
    if (!this.aggregator) return;
    for (const row of this.aggregator.drain()) this.writeRow(row);
    for (const series of this.byId.values()) {
      if (!series.dirty) continue;
      this.persist(series);
    }
  }

  private persist(series: SeriesAggregate): void {
    this.updateSeries.run(
      Number.isFinite(series.lastMs) ? series.lastMs : null,
      series.closedMs,
      series.carryMs,
      series.carryValue,
      series.id,
    );
    series.dirty = false;
  }

  private writeRow(r: RollupRow): void {
    this.upsertRollup.run(
      r.res,
      r.series,
      r.startMs,
      r.n,
      r.sum,
      r.min,
      r.max,
      r.delta,
      r.pos,
      r.neg,
      r.gapMs,
      r.flags,
    );
  }

  /** Writes every series' last sample time, so the next start replays the shortest stretch. */
  persistAll(): void {
    if (!this.aggregator) return;
    this.db.transaction(() => {
      for (const series of this.byId.values()) this.persist(series);
    })();
  }

  private seriesFor(s: Sample): SeriesAggregate {
    let byQuantity = this.byKey.get(s.device);
    if (!byQuantity) this.byKey.set(s.device, (byQuantity = new Map<string, SeriesAggregate>()));
    let series = byQuantity.get(s.quantity);
    if (!series) {
      this.insertSeries.run(s.device, s.quantity, s.unit, seriesKindOf(s.quantity), Math.round(s.timeMs));
      const row = this.findSeries.get(s.device, s.quantity) as SeriesRow;
      series = this.track(row);
    }
    return series;
  }

  private track(row: SeriesRow): SeriesAggregate {
    const kind = row.kind;
    const series = this.aggregator
      ? this.aggregator.newSeries(row.id, kind, this.gapLimitMs(row.device), this.maxPowerKW(row.device))
      : new SeriesAggregate(row.id, kind, 0, 0, { pieces: 0, cascades: 0 });
    let byQuantity = this.byKey.get(row.device);
    if (!byQuantity) this.byKey.set(row.device, (byQuantity = new Map<string, SeriesAggregate>()));
    byQuantity.set(row.quantity, series);
    this.byId.set(row.id, series);
    this.devices.set(row.id, row.device);
    return series;
  }

  /** Quantities a device has reported so far, with their units. */
  knownQuantities(device: string): string[] {
    return [...(this.byKey.get(device)?.keys() ?? [])];
  }

  /** The in-memory state of a series, if it has been seen (open buckets, for queries). */
  seriesState(device: string, quantity: string): SeriesAggregate | undefined {
    return this.byKey.get(device)?.get(quantity);
  }

  /** The buckets of a series not written yet (open, or waiting for their next part), for queries. */
  openRows(seriesId: number, res: number): RollupRow[] {
    const series = this.byId.get(seriesId);
    if (!series || !this.aggregator) return [];
    return this.aggregator.openRows(series, res);
  }

  /**
   * Rebuilds the in-memory state from the file: every series resumes at the end of its last
   * closed settlement interval, the open hour and day are summed from written rows, and the raw
   * samples since each resume point are fed through again. The stretch replayed is bounded by
   * the settlement interval plus a minute for a series that is polled, and is a few samples for
   * one that fell silent, whatever the size of the file.
   */
  recover(): RecoveryReport {
    const started = performance.now();
    // Rows closed by a commit that then failed were never written; they are closed again below.
    this.aggregator?.drain();
    this.byKey.clear();
    this.byId.clear();
    this.devices.clear();
    const rows = this.db.prepare('SELECT * FROM series ORDER BY id').all() as SeriesRow[];
    const aggregator = this.aggregator;
    const windows: Array<{ series: SeriesAggregate; from: number; to: number }> = [];
    for (const row of rows) {
      const series = this.track(row);
      if (!aggregator) {
        series.lastMs = row.last_ms ?? -Infinity;
        continue;
      }
      series.resumeAt({ closedMs: row.closed_ms, carryMs: row.carry_ms, carryValue: row.carry_value });
      if (row.closed_ms !== null) this.restoreCascades(series, row.closed_ms);
      // Good samples not yet reflected in last_ms all fall in the minute of last_ms (see persist).
      const from = row.carry_ms !== null ? row.carry_ms + 1 : (row.first_ms ?? -Infinity);
      const to =
        row.last_ms !== null
          ? row.last_ms - (((row.last_ms % MS_PER_MINUTE) + MS_PER_MINUTE) % MS_PER_MINUTE) + MS_PER_MINUTE
          : Infinity;
      if (to > from) windows.push({ series, from, to });
    }
    let samplesReplayed = 0;
    let rowsRewritten = 0;
    const merged = mergeWindows(windows);
    for (const window of merged) {
      const members = new Map(window.members.map((w) => [w.series.id, w]));
      let from = window.from;
      if (!Number.isFinite(from)) {
        const first = this.db.prepare('SELECT min(time_ms) AS t FROM sample').get() as { t: number | null };
        if (first.t === null) continue;
        from = first.t;
      }
      let to = window.to;
      if (!Number.isFinite(to)) {
        const last = this.db.prepare('SELECT max(time_ms) AS t FROM sample').get() as { t: number | null };
        if (last.t === null) continue;
        to = last.t + 1;
      }
      const slice = this.db.prepare(
        'SELECT time_ms, series, value, quality FROM sample WHERE time_ms >= ? AND time_ms < ? ORDER BY time_ms, series',
      );
      for (let start = from; start < to; start += REPLAY_SLICE_MS) {
        const end = Math.min(to, start + REPLAY_SLICE_MS);
        for (const [t, id, value, quality] of slice.raw().all(start, end) as Array<
          [number, number, number | null, number]
        >) {
          const w = members.get(id);
          if (!w || t < w.from || t >= w.to || t <= w.series.lastMs) continue;
          aggregator?.accept(w.series, t, value, quality === 0);
          samplesReplayed++;
        }
        rowsRewritten += this.writeReplayed();
      }
    }
    rowsRewritten += this.writeReplayed();
    this.lastRecovery = {
      series: rows.length,
      windows: merged.length,
      samplesReplayed,
      rowsRewritten,
      durationMs: performance.now() - started,
    };
    return this.lastRecovery;
  }

  private writeReplayed(): number {
    if (!this.aggregator) return 0;
    const n = this.aggregator.pendingRows;
    const dirty = [...this.byId.values()].some((s) => s.dirty);
    if (n === 0 && !dirty) return 0;
    this.db.transaction(() => this.writeRollups())();
    return n;
  }

  private restoreCascades(series: SeriesAggregate, closedMs: number): void {
    const aggregator = this.aggregator;
    if (!aggregator) return;
    const latestBefore = this.latestRollupBefore;
    const between = this.rollupsBetween;
    // Rows of the level below written so far end where that level's open bucket begins.
    let sourceEnd = closedMs;
    aggregator.cascades.forEach((cascade, level) => {
      const latest = (latestBefore.get(cascade.source, series.id, sourceEnd) as { t: number | null }).t;
      if (latest === null) return;
      const from = aggregator.bucketing.start(latest, cascade.res);
      const rows = (between.all(cascade.source, series.id, from, sourceEnd) as StoredRollup[]).map((r) =>
        toRollupRow(r, aggregator),
      );
      aggregator.restoreCascade(series, level, rows);
      sourceEnd = series.cascade[level]?.start ?? sourceEnd;
    });
  }
}

export interface StoredRollup {
  res: number;
  series: number;
  start_ms: number;
  n: number;
  sum: number | null;
  min: number | null;
  max: number | null;
  delta: number | null;
  pos: number | null;
  neg: number | null;
  gap_ms: number | null;
  flags: number;
}

export function toRollupRow(r: StoredRollup, aggregator: RollupAggregator): RollupRow {
  return {
    res: r.res,
    series: r.series,
    startMs: r.start_ms,
    endMs: aggregator.bucketing.end(r.start_ms, r.res),
    n: r.n,
    sum: r.sum,
    min: r.min,
    max: r.max,
    delta: r.delta,
    pos: r.pos,
    neg: r.neg,
    gapMs: r.gap_ms,
    flags: r.flags,
  };
}

interface Window {
  from: number;
  to: number;
  members: Array<{ series: SeriesAggregate; from: number; to: number }>;
}

/** Joins replay stretches that overlap or nearly touch, so each part of the file is read once. */
function mergeWindows(windows: Array<{ series: SeriesAggregate; from: number; to: number }>): Window[] {
  const sorted = [...windows].sort((a, b) => a.from - b.from);
  const out: Window[] = [];
  for (const w of sorted) {
    const last = out.at(-1);
    if (last && w.from <= last.to + 10 * MS_PER_MINUTE) {
      last.to = Math.max(last.to, w.to);
      last.members.push(w);
    } else out.push({ from: w.from, to: w.to, members: [w] });
  }
  return out;
}

export function recentSamples(
  db: Db,
  device: string,
  quantity: string,
  sinceMs: number,
): Array<{ timeMs: number; value: number }> {
  const series = db
    .prepare('SELECT id FROM series WHERE device = ? AND quantity = ?')
    .get(device, quantity) as { id: number } | undefined;
  if (!series) return [];
  return db
    .prepare(
      `SELECT time_ms AS timeMs, value FROM sample
       WHERE time_ms >= ? AND series = ? AND value IS NOT NULL ORDER BY time_ms LIMIT 20000`,
    )
    .all(sinceMs, series.id) as Array<{ timeMs: number; value: number }>;
}
