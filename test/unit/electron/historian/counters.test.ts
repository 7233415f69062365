// Energy counters: wraps, resets, implausible jumps, missing stretches and duplicates, through the
// rollup aggregator the ingest uses. The rules are documented on counterStep and RollupAggregator.
import { describe, expect, it } from 'vitest';
import {
  RollupAggregator,
  type RollupRow,
  type SeriesAggregate,
} from '../../../../electron/historian/rollup-aggregator.ts';
import { counterStep, FLAG_RESET, FLAG_WRAP } from '../../../../electron/historian/series-kind.ts';

const MIN = 60_000;
// A UTC-aligned zone keeps the day arithmetic out of these tests (days have their own test).
const T0 = Date.UTC(2026, 5, 1, 0, 0, 0);

function feed(points: Array<[minutes: number, value: number | null, good?: boolean]>, maxPowerKW = 1000) {
  const aggregator = new RollupAggregator({ timeZone: 'UTC', intervalMinutes: 15 });
  const series = aggregator.newSeries(1, 'counter', 60_000, maxPowerKW);
  const rows: RollupRow[] = [];
  for (const [m, v, good = true] of points) {
    aggregator.accept(series, T0 + m * MIN, v, good);
    rows.push(...aggregator.drain());
  }
  return { aggregator, series, rows };
}

const at = (rows: RollupRow[], res: number, minute: number) =>
  rows.find((r) => r.res === res && r.startMs === T0 + minute * MIN);
const open = (aggregator: RollupAggregator, series: SeriesAggregate, res: number) =>
  aggregator.openRows(series, res);

describe('counterStep', () => {
  it('takes a plausible rise as the increase', () => {
    expect(counterStep(100, 100.5, MIN, 1000)).toEqual({ increase: 0.5, flags: 0 });
  });

  it('takes a fall near the top of a register size as a wrap', () => {
    // A 16-bit register counting Wh rolls over at 65.536 kWh.
    const step = counterStep(65.5, 0.464, MIN, 1000);
    expect(step.flags).toBe(FLAG_WRAP);
    expect(step.increase).toBeCloseTo(0.5, 12);
  });

  it('takes any other fall as a reset whose energy is not guessed', () => {
    expect(counterStep(12_000, 3, MIN, 1000)).toEqual({ increase: 0, flags: FLAG_RESET });
    // Low in the register: a young meter restarting, not a wrap of a tiny register.
    expect(counterStep(0.07, 0.001, MIN, 1000)).toEqual({ increase: 0, flags: FLAG_RESET });
  });

  it('takes a rise beyond the plausible power as a glitch or a replaced meter', () => {
    // 1000 kW for one minute is 16.7 kWh at most.
    expect(counterStep(100, 120, MIN, 1000)).toEqual({ increase: 0, flags: FLAG_RESET });
    expect(counterStep(100, 116, MIN, 1000)).toEqual({ increase: 16, flags: 0 });
  });
});

describe('counter rollups', () => {
  it('gives each minute and interval the counter increase over it, exactly', () => {
    const points: Array<[number, number]> = [];
    for (let m = 0; m <= 31; m++) points.push([m, 1000 + m * 0.5]);
    const { rows } = feed(points);
    expect(at(rows, 1, 0)).toMatchObject({ delta: 0.5, gapMs: 0, flags: 0, min: 1000, max: 1000 });
    expect(at(rows, 15, 0)).toMatchObject({ delta: 7.5, gapMs: 0, flags: 0, n: 15 });
    expect(at(rows, 15, 15)).toMatchObject({ delta: 7.5, gapMs: 0, flags: 0 });
    expect(at(rows, 15, 30)).toBeUndefined();
  });

  it('splits a step across a bucket boundary in proportion to time', () => {
    // Readings at :00:30 and :01:30: half of the 1 kWh step falls in each minute.
    const { aggregator, series, rows } = feed([
      [0, 10],
      [0.5, 10],
      [1.5, 11],
      [2.5, 11],
    ]);
    expect(at(rows, 1, 0)?.delta).toBe(0.5);
    expect(at(rows, 1, 1)?.delta).toBe(0.5);
    expect(open(aggregator, series, 1)[0]).toMatchObject({ startMs: T0 + 2 * MIN, delta: 0 });
  });

  it('counts a wrap as the increase through the top of the register and flags it', () => {
    const { rows } = feed([
      [0, 65.0],
      [1, 65.5],
      [2, 0.464],
      [3, 0.964],
      [15, 6.964],
      [16, 7.464],
    ]);
    const minute = at(rows, 1, 1)!;
    expect(minute.flags).toBe(FLAG_WRAP);
    expect(minute.delta).toBeCloseTo(0.5, 12);
    const interval = at(rows, 15, 0)!;
    expect(interval.flags).toBe(FLAG_WRAP);
    // 65.0 → 65.536 → 6.964 at minute 15: 0.536 + 6.964 = 7.5 kWh.
    expect(interval.delta).toBeCloseTo(7.5, 12);
  });

  it('counts nothing for the step of a reset, flags it, and counts on from the new reading', () => {
    const { rows } = feed([[0, 500], [1, 500.5], [2, 3], ...ramp(3, 31, 3.5)]);
    expect(at(rows, 1, 1)).toMatchObject({ delta: 0, flags: FLAG_RESET });
    expect(at(rows, 1, 2)).toMatchObject({ delta: 0.5, flags: 0 });
    // 0.5 before the reset, 0 for it, 3 → 9.5 from minute 2 to 15.
    expect(at(rows, 15, 0)).toMatchObject({ delta: 7, flags: FLAG_RESET });
    expect(at(rows, 15, 15)).toMatchObject({ delta: 7.5, flags: 0 });
  });

  it('spreads the increase over a missing stretch and marks the time it covers as a gap', () => {
    // Silent from minute 5 to minute 25 (beyond the 60 s gap limit): 10 kWh over 20 minutes.
    const { rows } = feed([...ramp(0, 5, 0), ...ramp(25, 31, 12.5)]);
    const first = at(rows, 15, 0)!;
    const second = at(rows, 15, 15)!;
    expect(first).toMatchObject({ delta: 2.5 + 5, gapMs: 10 * MIN });
    expect(second).toMatchObject({ delta: 5 + 2.5, gapMs: 10 * MIN });
    // Nothing is lost or invented: the buckets add up to the counter's own increase.
    expect(first.delta! + second.delta!).toBe(15);
  });

  it('ignores samples that are not good: they neither count nor bridge a gap', () => {
    const points = ramp(0, 16, 0).map(([m, v]): [number, number | null, boolean?] => [m, v]);
    points[2] = [2, 999, false];
    points[3] = [3, null];
    const { rows } = feed(points);
    // Minutes 1 → 4 are one step of three minutes: a gap, with its increase spread over it.
    expect(at(rows, 15, 0)).toMatchObject({ delta: 7.5, gapMs: 3 * MIN, n: 13 });
  });

  it('measures from the first reading: the first bucket of a new series is a gap until then', () => {
    const { rows } = feed(ramp(7, 16, 100));
    // min and max of a counter bucket are its first and last reading.
    expect(at(rows, 15, 0)).toMatchObject({ delta: 4, gapMs: 7 * MIN, min: 100, max: 103.5 });
  });
});

/** A reading every minute from `from` to `to` (inclusive), rising 0.5 kWh a minute from `start`. */
function ramp(from: number, to: number, start: number): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  for (let m = from; m <= to; m++) out.push([m, start + (m - from) * 0.5]);
  return out;
}
