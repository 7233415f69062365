// Rebuilding rollups from the raw samples still kept, and computing them for a stretch without
// touching the file. Both run the ingest's own code (RollupAggregator, SampleWriter.recover), so
// a rebuilt bucket equals the one the ingest wrote, bit for bit.
import { DAY } from './buckets.ts';
import type { Db } from './database.ts';
import { RollupAggregator, type RollupRow, type SeriesAggregate } from './rollup-aggregator.ts';
import { SampleWriter, type RollupOptions } from './sample-writer.ts';
import type { SeriesKind } from './series-kind.ts';

export interface RebuildReport {
  /** Rollups from this time on were recomputed; earlier ones were kept. */
  fromMs: number | null;
  rowsDeleted: number;
  rowsWritten: number;
  samplesReplayed: number;
  durationMs: number;
}

/**
 * Recomputes every rollup from `fromMs` on (default: as far back as raw samples go) from raw.
 * It starts at a local day boundary so that hours and days are whole; a day that begins before
 * the oldest raw sample is kept as it is unless nothing older was ever rolled up. The console
 * must not be writing to the file meanwhile.
 */
export function rebuildRollups(db: Db, options: RollupOptions, fromMs?: number): RebuildReport {
  const started = performance.now();
  const aggregator = new RollupAggregator(options);
  const firstRaw = (db.prepare('SELECT min(time_ms) AS t FROM sample').get() as { t: number | null }).t;
  if (firstRaw === null)
    return { fromMs: null, rowsDeleted: 0, rowsWritten: 0, samplesReplayed: 0, durationMs: 0 };
  const earliestRollup = (db.prepare('SELECT min(start_ms) AS t FROM rollup').get() as { t: number | null })
    .t;
  const firstDay = aggregator.bucketing.start(firstRaw, DAY);
  let boundary: number;
  if (fromMs === undefined && (earliestRollup === null || earliestRollup >= firstDay)) boundary = firstDay;
  else {
    const wanted = Math.max(fromMs ?? firstRaw, firstRaw);
    boundary = aggregator.bucketing.start(wanted, DAY);
    if (boundary < firstRaw) boundary = aggregator.bucketing.end(boundary, DAY);
  }

  const lastGoodBefore = db.prepare(
    'SELECT time_ms, value FROM sample WHERE time_ms < ? AND series = ? AND quality = 0 AND value IS NOT NULL ORDER BY time_ms DESC LIMIT 1',
  );
  let rowsDeleted = 0;
  db.transaction(() => {
    rowsDeleted = db.prepare('DELETE FROM rollup WHERE start_ms >= ?').run(boundary).changes;
    const reset = db.prepare(
      'UPDATE series SET first_ms = ?, last_ms = NULL, closed_ms = ?, carry_ms = ?, carry_value = ? WHERE id = ?',
    );
    for (const { id } of db.prepare('SELECT id FROM series').all() as Array<{ id: number }>) {
      // Carried from before the boundary, a series' next step is measured as the ingest measured it.
      const carry =
        boundary > firstRaw
          ? (lastGoodBefore.get(boundary, id) as { time_ms: number; value: number } | undefined)
          : undefined;
      if (carry) reset.run(boundary, boundary, carry.time_ms, carry.value, id);
      else reset.run(boundary, null, null, null, id);
    }
  })();
  const writer = new SampleWriter(db, { rollups: options });
  const recovery = writer.lastRecovery;
  return {
    fromMs: boundary,
    rowsDeleted,
    rowsWritten: recovery?.rowsRewritten ?? 0,
    samplesReplayed: recovery?.samplesReplayed ?? 0,
    durationMs: performance.now() - started,
  };
}

export interface SeriesRef {
  id: number;
  device: string;
  kind: SeriesKind;
}

/**
 * The rollups of some series computed from raw samples in [fromMs, toMs), in memory: closed rows,
 * and the series' states (for their still-open buckets). Samples before `fromMs` are not seen,
 * so the first bucket of each series is partial unless `fromMs` is well before what is wanted.
 */
export function rollupsFromRaw(
  db: Db,
  options: RollupOptions,
  series: SeriesRef[],
  fromMs: number,
  toMs: number,
): { aggregator: RollupAggregator; rows: RollupRow[]; states: Map<number, SeriesAggregate> } {
  const aggregator = new RollupAggregator(options);
  const states = new Map<number, SeriesAggregate>();
  for (const s of series)
    states.set(
      s.id,
      aggregator.newSeries(
        s.id,
        s.kind,
        options.gapLimitMs?.(s.device) ?? 60_000,
        options.maxPowerKW?.(s.device) ?? 10_000,
      ),
    );
  const rows: RollupRow[] = [];
  if (series.length === 0) return { aggregator, rows, states };
  const ids = series.map((s) => s.id);
  const statement = db.prepare(
    `SELECT time_ms, series, value, quality FROM sample
     WHERE time_ms >= ? AND time_ms < ? AND series IN (${ids.map(() => '?').join(',')}) ORDER BY time_ms, series`,
  );
  const sliceMs = 10 * 60_000;
  for (let start = fromMs; start < toMs; start += sliceMs) {
    for (const [t, id, value, quality] of statement
      .raw()
      .all(start, Math.min(toMs, start + sliceMs), ...ids) as Array<
      [number, number, number | null, number]
    >) {
      const state = states.get(id);
      if (state && t > state.lastMs) aggregator.accept(state, t, value, quality === 0);
    }
    rows.push(...aggregator.drain());
  }
  return { aggregator, rows, states };
}
