// The checks behind `commonwatt db check` and the crash test: SQLite's own integrity check, the
// schema, rows that point nowhere, hours and days that do not add up from their parts, and the
// written rollups of a recent stretch recomputed from the raw samples by the ingest's own code.
import { Bucketing, DAY, HOUR, MINUTE, resolutionLabel } from './buckets.ts';
import type { Db } from './database.ts';
import { SCHEMA_VERSION } from './database.ts';
import { rollupsFromRaw, type SeriesRef } from './rollup-rebuild.ts';
import type { RollupOptions } from './sample-writer.ts';

export interface CheckFinding {
  check: string;
  ok: boolean;
  detail: string;
}

/** Counter deltas and energies agree to this many kWh (they are computed by the same code). */
const TOLERANCE = 1e-9;

export function integrityFindings(db: Db, full: boolean): CheckFinding {
  const rows = db.pragma(full ? 'integrity_check' : 'quick_check') as Array<Record<string, string>>;
  const messages = rows.map((r) => String(Object.values(r)[0]));
  const ok = messages.length === 1 && messages[0] === 'ok';
  return {
    check: full ? 'integrity_check' : 'quick_check',
    ok,
    detail: ok ? 'SQLite finds the file sound' : messages.slice(0, 10).join('; '),
  };
}

export function schemaFindings(db: Db): CheckFinding {
  const version = db.pragma('user_version', { simple: true }) as number;
  const tables = (
    db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as Array<{ name: string }>
  ).map((r) => r.name);
  const missing = ['series', 'sample', 'rollup', 'batch', 'meta'].filter((t) => !tables.includes(t));
  const ok = version === SCHEMA_VERSION && missing.length === 0;
  return {
    check: 'schema',
    ok,
    detail: ok
      ? `version ${version}`
      : `version ${version} (expected ${SCHEMA_VERSION})${missing.length ? `, missing tables ${missing.join(', ')}` : ''}`,
  };
}

export function orphanFindings(db: Db): CheckFinding {
  const samples = (
    db.prepare('SELECT count(*) AS n FROM sample WHERE series NOT IN (SELECT id FROM series)').get() as {
      n: number;
    }
  ).n;
  const rollups = (
    db.prepare('SELECT count(*) AS n FROM rollup WHERE series NOT IN (SELECT id FROM series)').get() as {
      n: number;
    }
  ).n;
  const ok = samples === 0 && rollups === 0;
  return {
    check: 'references',
    ok,
    detail: ok
      ? 'every sample and rollup belongs to a known series'
      : `${samples} samples and ${rollups} rollups of unknown series`,
  };
}

/**
 * Every written hour and day is the sum of its written parts (settlement intervals, hours):
 * sample counts, counter increases and power energies. Parts are kept for good, so this holds
 * over the whole file.
 */
export function cascadeFindings(db: Db, options: RollupOptions): CheckFinding[] {
  const interval = options.intervalMinutes;
  const bucketing = new Bucketing(options.timeZone);
  const levels =
    interval === HOUR
      ? [{ res: DAY, source: HOUR }]
      : [
          { res: HOUR, source: interval },
          { res: DAY, source: HOUR },
        ];
  const select = db.prepare(
    'SELECT series, start_ms, n, delta, pos, neg FROM rollup WHERE res = ? ORDER BY series, start_ms',
  );
  type Row = {
    series: number;
    start_ms: number;
    n: number;
    delta: number | null;
    pos: number | null;
    neg: number | null;
  };
  return levels.map(({ res, source }) => {
    const sums = new Map<string, { n: number; delta: number; pos: number; neg: number }>();
    for (const c of select.iterate(source) as IterableIterator<Row>) {
      const key = `${c.series}:${bucketing.start(c.start_ms, res)}`;
      const e = sums.get(key) ?? { n: 0, delta: 0, pos: 0, neg: 0 };
      e.n += c.n;
      e.delta += c.delta ?? 0;
      e.pos += c.pos ?? 0;
      e.neg += c.neg ?? 0;
      sums.set(key, e);
    }
    let compared = 0;
    const bad: Row[] = [];
    for (const p of select.iterate(res) as IterableIterator<Row>) {
      compared++;
      const e = sums.get(`${p.series}:${p.start_ms}`);
      if (
        !e ||
        e.n !== p.n ||
        differs(p.delta ?? 0, e.delta) ||
        differs(p.pos ?? 0, e.pos) ||
        differs(p.neg ?? 0, e.neg)
      )
        bad.push(p);
    }
    const first = bad[0];
    return {
      check: `${resolutionLabel(res)} = sum of ${resolutionLabel(source)}`,
      ok: bad.length === 0,
      detail: first
        ? `${bad.length} of ${compared} buckets do not add up, first: series ${first.series} at ${new Date(first.start_ms).toISOString()}`
        : `${compared} buckets add up`,
    };
  });
}

function differs(a: number | null, b: number | null): boolean {
  if (a === null || b === null) return (a ?? 0) !== (b ?? 0) && Math.abs((a ?? 0) - (b ?? 0)) > TOLERANCE;
  return Math.abs(a - b) > TOLERANCE * Math.max(1, Math.abs(a));
}

export interface RawAgreement extends CheckFinding {
  compared: number;
  mismatches: Array<{
    series: number;
    res: number;
    startMs: number;
    field: string;
    stored: number | null;
    raw: number | null;
  }>;
}

/**
 * Recomputes the 1-minute and settlement-interval rollups of [fromMs, toMs) from raw samples and
 * compares them with the written ones. The first bucket of a series older than `fromMs` is
 * skipped (the samples before `fromMs` are not read), and so are buckets not closed yet.
 */
export function rawAgreementFindings(
  db: Db,
  options: RollupOptions,
  fromMs: number,
  toMs: number,
): RawAgreement {
  const series = db.prepare('SELECT id, device, kind, first_ms, closed_ms FROM series').all() as Array<
    SeriesRef & { first_ms: number | null; closed_ms: number | null }
  >;
  // A series that began inside the stretch is recomputed from its very first sample.
  const wholeFromStart = new Set(
    series.filter((s) => s.first_ms !== null && s.first_ms >= fromMs).map((s) => s.id),
  );
  const closed = new Map(series.map((s) => [s.id, s.closed_ms]));
  const { rows } = rollupsFromRaw(db, options, series, fromMs, toMs);
  const stored = db.prepare(
    'SELECT n, sum, min, max, delta, pos, neg, gap_ms AS gapMs, flags FROM rollup WHERE res = ? AND series = ? AND start_ms = ?',
  );
  const firstSeen = new Map<string, number>();
  const mismatches: RawAgreement['mismatches'] = [];
  let compared = 0;
  for (const r of rows) {
    if (r.res !== MINUTE && r.res !== options.intervalMinutes) continue;
    const key = `${r.series}:${r.res}`;
    if (!firstSeen.has(key)) {
      firstSeen.set(key, r.startMs);
      if (!wholeFromStart.has(r.series)) continue;
    }
    const s = stored.get(r.res, r.series, r.startMs) as Record<string, number | null> | undefined;
    if (!s) {
      // Missing is wrong only where the ingest had closed the series' interval: a minute row is
      // written when the minute closes, which may be just after the kill of a crash.
      const closedMs = closed.get(r.series) ?? null;
      if (closedMs !== null && r.endMs <= closedMs) {
        compared++;
        mismatches.push({
          series: r.series,
          res: r.res,
          startMs: r.startMs,
          field: 'row',
          stored: null,
          raw: r.n,
        });
      }
      continue;
    }
    compared++;
    for (const field of ['n', 'sum', 'min', 'max', 'delta', 'pos', 'neg', 'gapMs', 'flags'] as const) {
      const a = s[field] ?? null;
      const b = r[field];
      if (differs(a, b))
        mismatches.push({ series: r.series, res: r.res, startMs: r.startMs, field, stored: a, raw: b });
    }
  }
  const ok = mismatches.length === 0;
  const first = mismatches[0];
  return {
    check: 'rollups = raw',
    ok,
    compared,
    mismatches,
    detail: ok
      ? `${compared} closed 1-minute and ${resolutionLabel(options.intervalMinutes)} buckets agree with the raw samples`
      : `${mismatches.length} differences in ${compared} buckets, first: series ${first!.series} ${resolutionLabel(first!.res)} at ${new Date(first!.startMs).toISOString()} ${first!.field} stored ${first!.stored} raw ${first!.raw}`,
  };
}
