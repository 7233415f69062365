// Rollups built incrementally from raw samples, in memory, without SQLite: the ingest feeds each
// committed sample here and writes the buckets it closes in the same transaction; a rebuild feeds
// the stored raw samples through the same code, so both give the same numbers bit for bit.
//
// Counters (energy registers): the increase between two good readings (see counterStep) is spread
// over the time between them in proportion to time, i.e. the counter is linearly interpolated at
// bucket boundaries. A bucket's `delta` is the counter at its end minus the counter at its start,
// and the deltas of consecutive buckets add up to the counter's own increase. Power: mean, min,
// max of the good samples, and the time integral of its positive and negative parts (kWh) by the
// trapezoidal rule. Other gauges: mean, min, max.
//
// Pieces resolutions (1 minute and the settlement interval) are built from the samples; the hour
// from the settlement intervals and the day from the hours, by addition. A bucket is closed —
// final, written — when the first good sample at or after its end arrives, so that its end is
// interpolated from both sides; until then it is open, and lives only here.
import { Bucketing, DAY, HOUR, MINUTE, type ResolutionMinutes } from './buckets.ts';
import { counterStep, type SeriesKind } from './series-kind.ts';

export interface RollupRow {
  res: ResolutionMinutes;
  series: number;
  startMs: number;
  endMs: number;
  /** Good samples in the bucket. */
  n: number;
  /** Gauges and power: sum of the good samples (mean = sum / n). */
  sum: number | null;
  /** Gauges and power: extremes. Counters: first and last good reading in the bucket. */
  min: number | null;
  max: number | null;
  /** Counters: increase over the bucket, in the counter's unit. */
  delta: number | null;
  /** Power: time integral of the positive and of the negative part, kWh (both ≥ 0). */
  pos: number | null;
  neg: number | null;
  /** Counters and power: ms of the bucket not bridged by two good samples at most the gap limit apart. */
  gapMs: number | null;
  flags: number;
}

class Bucket {
  n = 0;
  sum = 0;
  min = Infinity;
  max = -Infinity;
  first = Number.NaN;
  last = Number.NaN;
  delta = 0;
  pos = 0;
  neg = 0;
  coveredMs = 0;
  flags = 0;
  constructor(
    readonly start: number,
    readonly end: number,
  ) {}

  merge(row: RollupRow): void {
    this.n += row.n;
    if (row.sum !== null) this.sum += row.sum;
    if (row.min !== null) {
      if (Number.isNaN(this.first)) this.first = row.min;
      if (row.min < this.min) this.min = row.min;
    }
    if (row.max !== null) {
      this.last = row.max;
      if (row.max > this.max) this.max = row.max;
    }
    if (row.delta !== null) this.delta += row.delta;
    if (row.pos !== null) this.pos += row.pos;
    if (row.neg !== null) this.neg += row.neg;
    if (row.gapMs !== null) this.coveredMs += row.endMs - row.startMs - row.gapMs;
    this.flags |= row.flags;
  }

  toRow(res: ResolutionMinutes, series: number, kind: SeriesKind): RollupRow {
    const has = this.n > 0;
    if (kind === 'counter')
      return {
        res,
        series,
        startMs: this.start,
        endMs: this.end,
        n: this.n,
        sum: null,
        min: Number.isNaN(this.first) ? null : this.first,
        max: Number.isNaN(this.last) ? null : this.last,
        delta: this.delta,
        pos: null,
        neg: null,
        gapMs: this.end - this.start - this.coveredMs,
        flags: this.flags,
      };
    return {
      res,
      series,
      startMs: this.start,
      endMs: this.end,
      n: this.n,
      sum: has ? this.sum : null,
      min: has ? this.min : null,
      max: has ? this.max : null,
      delta: null,
      pos: kind === 'power' ? this.pos : null,
      neg: kind === 'power' ? this.neg : null,
      gapMs: kind === 'power' ? this.end - this.start - this.coveredMs : null,
      flags: this.flags,
    };
  }
}

/** What recovery needs to resume a series exactly where the last closed settlement interval left it. */
export interface SeriesResumePoint {
  /** End of the last closed settlement interval; buckets before it are final. */
  closedMs: number | null;
  /** The last good sample before `closedMs`, from which the next step is measured. */
  carryMs: number | null;
  carryValue: number | null;
}

export class SeriesAggregate implements SeriesResumePoint {
  /** Time of the last sample of any quality (later samples only are accepted). */
  lastMs = -Infinity;
  hasPrev = false;
  prevMs = 0;
  prevValue = 0;
  closedMs: number | null = null;
  carryMs: number | null = null;
  carryValue: number | null = null;
  /** Persisted state changed since it was last written. */
  dirty = false;
  /** Open buckets per pieces resolution, and per cascade level. */
  readonly open: Array<Bucket | null>;
  readonly cascade: Array<Bucket | null>;

  constructor(
    readonly id: number,
    readonly kind: SeriesKind,
    readonly gapLimitMs: number,
    readonly maxPowerKW: number,
    levels: { pieces: number; cascades: number },
  ) {
    this.open = new Array<Bucket | null>(levels.pieces).fill(null);
    this.cascade = new Array<Bucket | null>(levels.cascades).fill(null);
  }

  /** Continue after a closed interval: the next step is measured from the carried sample. */
  resumeAt(point: SeriesResumePoint): void {
    this.closedMs = point.closedMs;
    this.carryMs = point.carryMs;
    this.carryValue = point.carryValue;
    if (point.carryMs !== null && point.carryValue !== null) {
      this.hasPrev = true;
      this.prevMs = point.carryMs;
      this.prevValue = point.carryValue;
      this.lastMs = point.carryMs;
    }
  }
}

export interface RollupPlan {
  timeZone: string;
  /** The settlement interval, minutes: 5, 15, 30 or 60. */
  intervalMinutes: number;
}

export interface CascadeLevel {
  res: ResolutionMinutes;
  source: ResolutionMinutes;
}

export class RollupAggregator {
  readonly bucketing: Bucketing;
  /** Built from samples. */
  readonly pieces: ResolutionMinutes[];
  /** Built by adding up closed buckets of the level below. */
  readonly cascades: CascadeLevel[];
  readonly interval: ResolutionMinutes;
  private readonly intervalIndex: number;
  /** Rows closed since the last drain, in the order they closed. */
  private closed: RollupRow[] = [];

  constructor(readonly plan: RollupPlan) {
    if (![5, 10, 15, 20, 30, 60].includes(plan.intervalMinutes))
      throw new Error(`settlement interval of ${plan.intervalMinutes} minutes does not divide an hour`);
    this.bucketing = new Bucketing(plan.timeZone);
    this.interval = plan.intervalMinutes;
    this.pieces = [MINUTE, this.interval];
    this.intervalIndex = 1;
    this.cascades =
      this.interval === HOUR
        ? [{ res: DAY, source: HOUR }]
        : [
            { res: HOUR, source: this.interval },
            { res: DAY, source: HOUR },
          ];
  }

  /** Every resolution kept, finest first. */
  get resolutions(): ResolutionMinutes[] {
    return [...this.pieces, ...this.cascades.map((c) => c.res)];
  }

  newSeries(id: number, kind: SeriesKind, gapLimitMs: number, maxPowerKW: number): SeriesAggregate {
    return new SeriesAggregate(id, kind, gapLimitMs, maxPowerKW, {
      pieces: this.pieces.length,
      cascades: this.cascades.length,
    });
  }

  /** Takes the rows closed since the last call. */
  drain(): RollupRow[] {
    const rows = this.closed;
    this.closed = [];
    return rows;
  }

  get pendingRows(): number {
    return this.closed.length;
  }

  /**
   * One sample, later than every sample of the series so far (the caller drops the others).
   * Samples that are not good, or have no finite value, only move `lastMs`.
   */
  accept(s: SeriesAggregate, t: number, value: number | null, good: boolean): void {
    s.lastMs = t;
    if (!good || value === null || !Number.isFinite(value)) return;
    const hadPrev = s.hasPrev;
    const prevMs = s.prevMs;
    const prevValue = s.prevValue;
    const spans = hadPrev && s.kind !== 'gauge';
    let increase = 0;
    let stepFlags = 0;
    if (spans && s.kind === 'counter') {
      const rise = value - prevValue;
      // The common case inline; counterStep decides wraps, resets and jumps.
      if (rise >= 0 && rise <= s.maxPowerKW * ((t - prevMs) / 3_600_000)) increase = rise;
      else {
        const step = counterStep(prevValue, value, t - prevMs, s.maxPowerKW);
        increase = step.increase;
        stepFlags = step.flags;
      }
    }
    const bridged = t - prevMs <= s.gapLimitMs;

    for (let i = 0; i < this.pieces.length; i++) {
      const res = this.pieces[i] as number;
      let b = s.open[i] ?? null;
      if (b === null) {
        // First sample, or the first after a resume: a resumed series starts at its closed boundary.
        const from = spans && s.closedMs !== null ? Math.max(prevMs, s.closedMs) : t;
        const start = this.bucketing.start(from, res);
        b = new Bucket(start, this.bucketing.end(start, res));
      }
      if (spans) {
        let a = prevMs > b.start ? prevMs : b.start;
        while (b.end <= t) {
          this.addStep(s, b, a, b.end, t, prevMs, prevValue, value, increase, stepFlags, bridged);
          this.close(s, i, res, b, hadPrev, prevMs, prevValue);
          b = new Bucket(b.end, this.bucketing.end(b.end, res));
          a = b.start;
        }
        this.addStep(s, b, a, t, t, prevMs, prevValue, value, increase, stepFlags, bridged);
      } else if (b.end <= t) {
        this.close(s, i, res, b, hadPrev, prevMs, prevValue);
        const start = this.bucketing.start(t, res);
        b = new Bucket(start, this.bucketing.end(start, res));
      }
      b.n++;
      if (s.kind === 'counter') {
        if (Number.isNaN(b.first)) b.first = value;
        b.last = value;
      } else {
        b.sum += value;
        if (value < b.min) b.min = value;
        if (value > b.max) b.max = value;
      }
      s.open[i] = b;
    }
    s.hasPrev = true;
    s.prevMs = t;
    s.prevValue = value;
  }

  /** The part (a, x] of the step from (t0, v0) to (t1, v1) that falls in bucket b. */
  private addStep(
    s: SeriesAggregate,
    b: Bucket,
    a: number,
    x: number,
    t1: number,
    t0: number,
    v0: number,
    v1: number,
    increase: number,
    flags: number,
    bridged: boolean,
  ): void {
    if (x <= a) return;
    const span = t1 - t0;
    if (s.kind === 'counter') {
      const upToX = x >= t1 ? increase : (increase * (x - t0)) / span;
      const upToA = a <= t0 ? 0 : (increase * (a - t0)) / span;
      b.delta += upToX - upToA;
    } else {
      const pa = a <= t0 ? v0 : v0 + ((v1 - v0) * (a - t0)) / span;
      const px = x >= t1 ? v1 : v0 + ((v1 - v0) * (x - t0)) / span;
      const hours = (x - a) / 3_600_000;
      if (pa >= 0 && px >= 0) b.pos += ((pa + px) / 2) * hours;
      else if (pa <= 0 && px <= 0) b.neg -= ((pa + px) / 2) * hours;
      else {
        // The line crosses zero inside (a, x]: a triangle on each side.
        const zero = pa / (pa - px);
        const before = (pa / 2) * hours * zero;
        const after = (px / 2) * hours * (1 - zero);
        if (pa > 0) {
          b.pos += before;
          b.neg -= after;
        } else {
          b.neg -= before;
          b.pos += after;
        }
      }
    }
    if (bridged) b.coveredMs += x - a;
    b.flags |= flags;
  }

  private close(
    s: SeriesAggregate,
    i: number,
    res: ResolutionMinutes,
    b: Bucket,
    hadPrev: boolean,
    prevMs: number,
    prevValue: number,
  ): void {
    const row = b.toRow(res, s.id, s.kind);
    this.closed.push(row);
    s.dirty = true;
    if (i === this.intervalIndex) {
      s.closedMs = b.end;
      s.carryMs = hadPrev ? prevMs : null;
      s.carryValue = hadPrev ? prevValue : null;
      this.cascadeRow(s, 0, row);
    }
  }

  private cascadeRow(s: SeriesAggregate, level: number, row: RollupRow): void {
    const cascade = this.cascades[level];
    if (!cascade) return;
    const start = this.bucketing.start(row.startMs, cascade.res);
    let acc = s.cascade[level] ?? null;
    if (acc !== null && acc.start !== start) {
      const done = acc.toRow(cascade.res, s.id, s.kind);
      this.closed.push(done);
      s.cascade[level] = null;
      this.cascadeRow(s, level + 1, done);
      acc = null;
    }
    acc ??= new Bucket(start, this.bucketing.end(start, cascade.res));
    acc.merge(row);
    s.cascade[level] = acc;
  }

  /**
   * Restores a cascade level's open bucket from rows already written: the closed rows of its
   * source level that no written row of this level includes yet.
   */
  restoreCascade(s: SeriesAggregate, level: number, rows: RollupRow[]): void {
    const cascade = this.cascades[level];
    if (!cascade || rows.length === 0) return;
    const start = this.bucketing.start(rows[0]!.startMs, cascade.res);
    const acc = new Bucket(start, this.bucketing.end(start, cascade.res));
    for (const row of rows) acc.merge(row);
    s.cascade[level] = acc;
  }

  /**
   * The buckets of a series at `res` that are not written yet, oldest first, as rows: the open
   * one, and for hours and days also a bucket whose parts are all closed but that waits for the
   * next part to begin. Not final: they may still grow.
   */
  openRows(s: SeriesAggregate, res: ResolutionMinutes): RollupRow[] {
    const pieceIndex = this.pieces.indexOf(res);
    if (pieceIndex >= 0) {
      const open = s.open[pieceIndex];
      return open ? [open.toRow(res, s.id, s.kind)] : [];
    }
    const level = this.cascades.findIndex((c) => c.res === res);
    const cascade = this.cascades[level];
    if (!cascade) return [];
    const buckets: Bucket[] = [];
    const acc = s.cascade[level];
    if (acc) {
      const copy = new Bucket(acc.start, acc.end);
      copy.merge(acc.toRow(res, s.id, s.kind));
      buckets.push(copy);
    }
    for (const row of this.openRows(s, cascade.source)) {
      const start = this.bucketing.start(row.startMs, res);
      let target = buckets.at(-1);
      if (!target || target.start !== start) {
        target = new Bucket(start, this.bucketing.end(start, res));
        buckets.push(target);
      }
      target.merge(row);
    }
    return buckets.map((b) => b.toRow(res, s.id, s.kind));
  }
}
