// Reading the historian: any range of members, feeders, devices or the site at an automatic
// resolution (the finest one kept for the range that fits a few thousand points), and energy per
// member by settlement interval, hour, local day or local month. Closed buckets come from the
// file; the buckets still open come from the running ingest when there is one.
import type {
  EnergyPeriod,
  EnergyQuery,
  EnergyResult,
  HistoryQuery,
  HistoryQueryResult,
  HistorySeries,
  HistoryTarget,
} from '../../shared/api/history-api.ts';
import type { SiteFile } from '../../shared/site/schema.ts';
import { isoInZone } from '../../shared/time/zone.ts';
import {
  bucketingFor,
  DAY,
  HOUR,
  MINUTE,
  MS_PER_DAY_NOMINAL,
  nominalMs,
  parseResolutionLabel,
  resolutionLabel,
  type Bucketing,
} from './buckets.ts';
import type { Db } from './database.ts';
import type { RollupRow } from './rollup-aggregator.ts';
import { FLAG_RESET, seriesKindOf, type SeriesKind } from './series-kind.ts';
import { memberSource, targetCurves, type SeriesSource } from './site-series.ts';

export const DEFAULT_MAX_POINTS = 3000;
/** Raw samples are read by time across all series, so raw is only used for short ranges. */
const RAW_MAX_RANGE_MS = 2 * 3_600_000;

/** The buckets the running ingest has not written yet, per series and resolution. */
export type OpenRowsProvider = (seriesId: number, res: number) => RollupRow[];

export interface HistoryReader {
  db: Db;
  site: SiteFile;
  intervalMinutes: number;
  retention: { rawDays: number; minuteDays: number };
  openRows?: OpenRowsProvider;
  now: () => number;
}

interface SeriesInfo {
  id: number;
  unit: string;
  kind: SeriesKind;
}

export class QueryError extends Error {
  override name = 'QueryError';
}

function lookupSeries(db: Db) {
  const find = db.prepare('SELECT id, unit, kind FROM series WHERE device = ? AND quantity = ?');
  const cache = new Map<string, SeriesInfo | null>();
  return (device: string, quantity: string): SeriesInfo | null => {
    const key = `${device}\u0000${quantity}`;
    if (!cache.has(key)) cache.set(key, (find.get(device, quantity) as SeriesInfo | undefined) ?? null);
    return cache.get(key) ?? null;
  };
}

/**
 * Resolutions kept, finest first, with the earliest time each still covers for the given series.
 * Each is a seek to the first row of a series (rollups are keyed by resolution, series, start),
 * never a scan of the table.
 */
export function availableResolutions(
  reader: HistoryReader,
  seriesIds: number[],
): Array<{ resolution: string; res: number | null; fromMs: number | null }> {
  const { db } = reader;
  const rawFrom = (db.prepare('SELECT min(time_ms) AS t FROM sample').get() as { t: number | null }).t;
  const firstOf = db.prepare(
    'SELECT start_ms AS t FROM rollup WHERE res = ? AND series = ? ORDER BY start_ms LIMIT 1',
  );
  const list: Array<{ resolution: string; res: number | null; fromMs: number | null }> = [
    { resolution: 'raw', res: null, fromMs: rawFrom },
  ];
  const rollups = [MINUTE, reader.intervalMinutes, HOUR, DAY].filter((r, i, all) => all.indexOf(r) === i);
  for (const res of rollups) {
    let from: number | null = null;
    for (const id of seriesIds) {
      const t = (firstOf.get(res, id) as { t: number } | undefined)?.t;
      if (t !== undefined && (from === null || t < from)) from = t;
    }
    list.push({ resolution: resolutionLabel(res), res, fromMs: from });
  }
  return list;
}

/** The finest resolution that is kept over [from, to) and gives at most `maxPoints` per series. */
export function chooseResolution(
  reader: HistoryReader,
  from: number,
  to: number,
  maxPoints: number,
  devices: string[],
): number | null {
  const span = to - from;
  const now = reader.now();
  const period = Math.max(
    1000,
    ...devices.map((id) => reader.site.devices.find((d) => d.id === id)?.pollPeriodMs ?? 1000),
  );
  const rawFrom = now - reader.retention.rawDays * MS_PER_DAY_NOMINAL;
  if (span <= RAW_MAX_RANGE_MS && span / period <= maxPoints && from >= rawFrom) return null;
  const minuteFrom = now - reader.retention.minuteDays * MS_PER_DAY_NOMINAL;
  const ladder = [MINUTE, reader.intervalMinutes, HOUR, DAY].filter((r, i, all) => all.indexOf(r) === i);
  for (const res of ladder) {
    if (res === MINUTE && from < minuteFrom) continue;
    if (span / nominalMs(res) <= maxPoints) return res;
  }
  return DAY;
}

export function queryHistory(reader: HistoryReader, q: HistoryQuery): HistoryQueryResult {
  const started = performance.now();
  const { db, site } = reader;
  const series = lookupSeries(db);
  const deviceQuantities = (device: string) =>
    (
      db.prepare('SELECT quantity FROM series WHERE device = ? ORDER BY quantity').all(device) as Array<{
        quantity: string;
      }>
    ).map((r) => r.quantity);
  const curves = q.targets.flatMap((target) =>
    targetCurves(site, target.kind, target.id, q.quantities, deviceQuantities).map((curve) => ({
      target,
      curve,
    })),
  );
  const devices = [...new Set(curves.flatMap(({ curve }) => curve.sources.map((s) => s.device)))];
  const maxPoints = q.maxPoints ?? DEFAULT_MAX_POINTS;
  let res: number | null;
  if (!q.resolution || q.resolution === 'auto')
    res = chooseResolution(reader, q.from, q.to, maxPoints, devices);
  else if (q.resolution === 'raw') res = null;
  else {
    res = parseResolutionLabel(q.resolution);
    if (res === null || ![MINUTE, reader.intervalMinutes, HOUR, DAY].includes(res))
      throw new QueryError(
        `no ${q.resolution} rollups: this site keeps raw, 1m, ${resolutionLabel(reader.intervalMinutes)}, 1h and 1d`,
      );
  }
  // A derived sum (a feeder without a meter) needs buckets: raw samples of several meters do not
  // line up. A counter's raw readings are register values, not energy: automatic resolution
  // charts counters as energy per minute at least.
  if (res === null && curves.some(({ curve }) => curve.derived)) res = MINUTE;
  if (
    res === null &&
    (q.resolution ?? 'auto') === 'auto' &&
    curves.some(({ curve }) => seriesKindOf(curve.quantity) === 'counter')
  )
    res = MINUTE;

  const out: HistorySeries[] = [];
  const seriesIds = new Set<number>();
  for (const { target, curve } of curves) {
    const infos = curve.sources.map((s) => ({ source: s, info: series(s.device, s.quantity) }));
    const first = infos.find((i) => i.info)?.info;
    const kind = first?.kind ?? seriesKindOf(curve.quantity);
    const unit = first?.unit ?? '';
    const base = {
      key: `${target.kind}:${target.id}:${curve.quantity}`,
      target,
      quantity: curve.quantity,
      unit,
      kind,
    };
    const present = infos.filter((i): i is { source: SeriesSource; info: SeriesInfo } => i.info !== null);
    for (const p of present) seriesIds.add(p.info.id);
    if (res === null) {
      out.push({ ...base, derived: false, ...readRaw(db, present[0], q.from, q.to) });
      continue;
    }
    const read = present.map(({ source, info }) => ({
      source,
      points: readBuckets(reader, info, res, q.from, q.to),
    }));
    out.push({ ...base, derived: curve.derived, ...combine(read, kind, curve.derived) });
  }
  return {
    from: q.from,
    to: q.to,
    resolution: res === null ? 'raw' : resolutionLabel(res),
    bucketMs: res === null ? null : nominalMs(res),
    series: out,
    available: availableResolutions(reader, [...seriesIds]).map(({ resolution, fromMs }) => ({
      resolution,
      fromMs,
    })),
    elapsedMs: performance.now() - started,
  };
}

type Points = Pick<HistorySeries, 'times' | 'values' | 'min' | 'max' | 'complete' | 'openFromMs'>;

function readRaw(
  db: Db,
  entry: { source: SeriesSource; info: SeriesInfo } | undefined,
  from: number,
  to: number,
): Points {
  if (!entry) return { times: [], values: [], min: null, max: null, complete: [], openFromMs: null };
  const rows = db
    .prepare(
      'SELECT time_ms, value, quality FROM sample WHERE time_ms >= ? AND time_ms < ? AND series = ? ORDER BY time_ms',
    )
    .raw()
    .all(from, to, entry.info.id) as Array<[number, number | null, number]>;
  const sign = entry.source.sign;
  return {
    times: rows.map((r) => r[0]),
    values: rows.map((r) => (r[1] === null ? null : sign * r[1])),
    min: null,
    max: null,
    complete: rows.map((r) => r[2] === 0),
    openFromMs: null,
  };
}

interface BucketPoint {
  startMs: number;
  row: RollupRow;
  open: boolean;
}

const selectBuckets = new WeakMap<Db, ReturnType<Db['prepare']>>();

function readBuckets(
  reader: HistoryReader,
  info: SeriesInfo,
  res: number,
  from: number,
  to: number,
): BucketPoint[] {
  const bucketing = bucketingFor(reader.site.site.timezone);
  const start = bucketing.start(from, res);
  let statement = selectBuckets.get(reader.db);
  if (!statement) {
    statement = reader.db.prepare(
      `SELECT start_ms, n, sum, min, max, delta, pos, neg, gap_ms, flags FROM rollup
       WHERE res = ? AND series = ? AND start_ms >= ? AND start_ms < ? ORDER BY start_ms`,
    );
    selectBuckets.set(reader.db, statement);
  }
  const rows = statement.raw().all(res, info.id, start, to) as Array<
    [
      number,
      number,
      number | null,
      number | null,
      number | null,
      number | null,
      number | null,
      number | null,
      number | null,
      number,
    ]
  >;
  const points: BucketPoint[] = rows.map(([startMs, n, sum, min, max, delta, pos, neg, gapMs, flags]) => ({
    startMs,
    open: false,
    row: { res, series: info.id, startMs, endMs: 0, n, sum, min, max, delta, pos, neg, gapMs, flags },
  }));
  const lastWritten = points.at(-1)?.startMs ?? -Infinity;
  for (const row of reader.openRows?.(info.id, res) ?? [])
    if (row.startMs > lastWritten && row.startMs < to && row.endMs > from)
      points.push({ startMs: row.startMs, row, open: true });
  return points;
}

function bucketComplete(row: RollupRow, kind: SeriesKind): boolean {
  if (row.flags & FLAG_RESET) return false;
  if (kind === 'gauge') return row.n > 0;
  return row.gapMs === 0;
}

function combine(
  read: Array<{ source: SeriesSource; points: BucketPoint[] }>,
  kind: SeriesKind,
  derived: boolean,
): Points {
  if (!derived) {
    const entry = read[0];
    if (!entry) return { times: [], values: [], min: null, max: null, complete: [], openFromMs: null };
    const sign = entry.source.sign;
    const pts = entry.points;
    const flip = sign < 0;
    const value = (r: RollupRow) =>
      kind === 'counter' ? r.delta : r.n > 0 && r.sum !== null ? (sign * r.sum) / r.n : null;
    return {
      times: pts.map((p) => p.startMs),
      values: pts.map((p) => value(p.row)),
      min: kind === 'counter' ? null : pts.map((p) => (flip ? neg(p.row.max) : p.row.min)),
      max: kind === 'counter' ? null : pts.map((p) => (flip ? neg(p.row.min) : p.row.max)),
      complete: pts.map((p) => !p.open && bucketComplete(p.row, kind)),
      openFromMs: pts.find((p) => p.open)?.startMs ?? null,
    };
  }
  // A sum of meters: bucket by bucket, complete only where every meter has a complete bucket.
  const byStart = new Map<number, { value: number; count: number; complete: boolean; open: boolean }>();
  for (const { source, points } of read)
    for (const p of points) {
      const v =
        kind === 'counter' ? p.row.delta : p.row.n > 0 && p.row.sum !== null ? p.row.sum / p.row.n : null;
      const e = byStart.get(p.startMs) ?? { value: 0, count: 0, complete: true, open: false };
      if (v !== null) {
        e.value += source.sign * v;
        e.count++;
      }
      e.complete &&= bucketComplete(p.row, kind) && !p.open;
      e.open ||= p.open;
      byStart.set(p.startMs, e);
    }
  const starts = [...byStart.keys()].sort((a, b) => a - b);
  return {
    times: starts,
    values: starts.map((s) => byStart.get(s)!.value),
    min: null,
    max: null,
    complete: starts.map((s) => byStart.get(s)!.complete && byStart.get(s)!.count === read.length),
    openFromMs: starts.find((s) => byStart.get(s)!.open) ?? null,
  };
}

const neg = (v: number | null) => (v === null ? null : -v);

/** Imported and exported energy per member and period, from the members' meter counters. */
export function memberEnergy(reader: HistoryReader, q: EnergyQuery): EnergyResult {
  const started = performance.now();
  const { site } = reader;
  const timeZone = site.site.timezone;
  const bucketing = bucketingFor(timeZone);
  const res = periodResolution(q.period, reader.intervalMinutes);
  const periods: EnergyResult['periods'] = [];
  if (q.period === 'month') {
    for (let s = bucketing.monthStart(q.from); s < q.to; s = bucketing.monthEnd(s))
      periods.push({ startMs: s, endMs: bucketing.monthEnd(s), label: isoInZone(s, timeZone).slice(0, 7) });
  } else {
    for (let s = bucketing.start(q.from, res); s < q.to; s = bucketing.end(s, res))
      periods.push({ startMs: s, endMs: bucketing.end(s, res), label: isoInZone(s, timeZone) });
  }
  const index = new Map(periods.map((p, i) => [p.startMs, i]));
  const periodOf = (startMs: number) =>
    q.period === 'month' ? index.get(bucketing.monthStart(startMs)) : index.get(startMs);
  const first = periods[0]?.startMs ?? q.from;
  const last = periods.at(-1)?.endMs ?? q.to;
  const series = lookupSeries(reader.db);
  const selectEnergy = reader.db
    .prepare(
      `SELECT start_ms, delta, gap_ms, flags FROM rollup
       WHERE res = ? AND series = ? AND start_ms >= ? AND start_ms < ? ORDER BY start_ms`,
    )
    .raw();
  const ids = q.members ?? site.members.map((m) => m.id);
  const members = ids.map((memberId) => {
    const member = site.members.find((m) => m.id === memberId);
    const sum = (quantity: string) => {
      const totals: Array<number | null> = periods.map(() => null);
      const complete = periods.map(() => true);
      const source = memberSource(site, memberId, quantity);
      const info = source ? series(source.device, source.quantity) : null;
      if (!source) return { totals: periods.map(() => 0), complete };
      if (!info) return { totals, complete: periods.map(() => false) };
      const seen = periods.map(() => 0);
      const add = (
        startMs: number,
        delta: number | null,
        gapMs: number | null,
        flags: number,
        open: boolean,
      ) => {
        const i = periodOf(startMs);
        if (i === undefined || delta === null) return;
        totals[i] = (totals[i] ?? 0) + delta;
        seen[i]! += nominalOrDay(bucketing, startMs, res);
        if (open || gapMs !== 0 || flags & FLAG_RESET) complete[i] = false;
      };
      // Only the columns energy needs: a month of days for hundreds of members is tens of
      // thousands of rows, and each column read costs.
      let lastWritten = -Infinity;
      for (const [startMs, delta, gapMs, flags] of selectEnergy.all(res, info.id, first, last) as Array<
        [number, number | null, number | null, number]
      >) {
        add(startMs, delta, gapMs, flags, false);
        lastWritten = startMs;
      }
      for (const row of reader.openRows?.(info.id, res) ?? [])
        if (row.startMs > lastWritten && row.startMs < last && row.endMs > first)
          add(row.startMs, row.delta, row.gapMs, row.flags, true);
      periods.forEach((p, i) => {
        if (seen[i]! < p.endMs - p.startMs) complete[i] = false;
      });
      return { totals, complete };
    };
    const imported = sum('energyImportKWh');
    const exported = sum('energyExportKWh');
    return {
      member: memberId,
      name: member?.name ?? memberId,
      importKWh: imported.totals,
      exportKWh: exported.totals,
      complete: periods.map((_, i) => imported.complete[i]! && exported.complete[i]!),
    };
  });
  return { period: q.period, timeZone, periods, members, elapsedMs: performance.now() - started };
}

function periodResolution(period: EnergyPeriod, intervalMinutes: number): number {
  switch (period) {
    case 'interval':
      return intervalMinutes;
    case 'hour':
      return HOUR;
    case 'day':
    case 'month':
      return DAY;
  }
}

function nominalOrDay(bucketing: Bucketing, startMs: number, res: number): number {
  return bucketing.end(startMs, res) - startMs;
}

export function describeTarget(site: SiteFile, target: HistoryTarget): string {
  switch (target.kind) {
    case 'member':
      return site.members.find((m) => m.id === target.id)?.name ?? target.id;
    case 'feeder':
      return `feeder ${target.id}`;
    case 'device':
      return site.devices.find((d) => d.id === target.id)?.name ?? target.id;
    case 'site':
      return site.site.name;
  }
}
