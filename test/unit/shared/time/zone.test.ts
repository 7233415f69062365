// Wall-clock arithmetic across offset changes, with every expected instant worked by hand from the
// rules: Amsterdam goes from CET (+1) to CEST (+2) at 01:00 UTC on 29 March 2026 and back at 01:00
// UTC on 25 October 2026; São Paulo keeps −3 all year since 2019, but in 2018 its summer time began
// at local midnight on 4 November (00:00 −3 became 01:00 −2, at 03:00 UTC).
import { describe, expect, it } from 'vitest';
import { yearStartMs } from '../../../../shared/storage/allowance.ts';
import {
  LocalClock,
  intervalStartMs,
  isoInZone,
  localDate,
  localMidnightMs,
  localMinuteOfDay,
  localMonth,
  localTimeMs,
  localYear,
  zoneOffsetMinutes,
} from '../../../../shared/time/zone.ts';

const AMS = 'Europe/Amsterdam';
const SAO = 'America/Sao_Paulo';
const at = (iso: string) => Date.parse(iso);
const HOUR = 3_600_000;
const MIN = 60_000;

describe('offsets', () => {
  it('change at 01:00 UTC in Amsterdam, both ways', () => {
    expect(zoneOffsetMinutes(AMS, at('2026-03-29T00:59:59Z'))).toBe(60);
    expect(zoneOffsetMinutes(AMS, at('2026-03-29T01:00:00Z'))).toBe(120);
    expect(zoneOffsetMinutes(AMS, at('2026-10-25T00:59:59Z'))).toBe(120);
    expect(zoneOffsetMinutes(AMS, at('2026-10-25T01:00:00Z'))).toBe(60);
  });

  it('stay at −3 in São Paulo through 2026', () => {
    for (const iso of ['2026-01-15T12:00:00Z', '2026-07-15T12:00:00Z', '2026-11-15T12:00:00Z'])
      expect(zoneOffsetMinutes(SAO, at(iso))).toBe(-180);
  });

  it('are written into ISO times', () => {
    expect(isoInZone(at('2026-03-29T00:30:00Z'), AMS)).toBe('2026-03-29T01:30:00+01:00');
    expect(isoInZone(at('2026-03-29T01:30:00Z'), AMS)).toBe('2026-03-29T03:30:00+02:00');
    expect(isoInZone(at('2026-06-01T15:00:00Z'), SAO)).toBe('2026-06-01T12:00:00-03:00');
  });
});

describe('local midnight', () => {
  it('starts a 23-hour day in Amsterdam in March and a 25-hour day in October', () => {
    // 00:00 CET on 29 March is 23:00 UTC the day before; 00:00 CEST on 30 March is 22:00 UTC.
    const march29 = localMidnightMs(2026, 2, 29, AMS);
    const march30 = localMidnightMs(2026, 2, 30, AMS);
    expect(march29).toBe(at('2026-03-28T23:00:00Z'));
    expect(march30).toBe(at('2026-03-29T22:00:00Z'));
    expect(march30 - march29).toBe(23 * HOUR);
    // 00:00 CEST on 25 October is 22:00 UTC the day before; 00:00 CET on 26 October is 23:00 UTC.
    const october25 = localMidnightMs(2026, 9, 25, AMS);
    const october26 = localMidnightMs(2026, 9, 26, AMS);
    expect(october25).toBe(at('2026-10-24T22:00:00Z'));
    expect(october26).toBe(at('2026-10-25T23:00:00Z'));
    expect(october26 - october25).toBe(25 * HOUR);
  });

  it('is 03:00 UTC every day in São Paulo now, and the skip’s end where midnight did not exist', () => {
    expect(localMidnightMs(2026, 10, 1, SAO)).toBe(at('2026-11-01T03:00:00Z'));
    expect(localMidnightMs(2026, 10, 2, SAO) - localMidnightMs(2026, 10, 1, SAO)).toBe(24 * HOUR);
    // 4 November 2018 began at 01:00 −2 (03:00 UTC): the clock skipped from 23:59:59 to 01:00.
    // (The former arithmetic gave 02:00 UTC, which is 23:00 on 3 November.)
    expect(localMidnightMs(2018, 10, 4, SAO)).toBe(at('2018-11-04T03:00:00Z'));
    expect(localDate(at('2018-11-04T03:00:00Z'), SAO)).toBe('2018-11-04');
    expect(localDate(at('2018-11-04T02:59:59Z'), SAO)).toBe('2018-11-03');
  });

  it('lets the day overflow into the next month and year', () => {
    expect(localMidnightMs(2026, 2, 32, AMS)).toBe(at('2026-03-31T22:00:00Z'));
    expect(localMidnightMs(2026, 12, 1, AMS)).toBe(at('2026-12-31T23:00:00Z'));
  });
});

describe('a wall time', () => {
  it('the clock skips is the instant the skip ends', () => {
    // 02:30 on 29 March never shows in Amsterdam: 01:59:59 CET is followed by 03:00 CEST (01:00 UTC).
    expect(localTimeMs(AMS, 2026, 2, 29, 2, 30)).toBe(at('2026-03-29T01:00:00Z'));
  });

  it('the clock shows twice is its first showing', () => {
    // 02:30 on 25 October shows at 00:30 UTC (CEST) and again at 01:30 UTC (CET).
    expect(localTimeMs(AMS, 2026, 9, 25, 2, 30)).toBe(at('2026-10-25T00:30:00Z'));
  });
});

describe('local dates, months, years and minutes of the day', () => {
  it('follow the offset in force at the instant', () => {
    expect(localDate(at('2026-03-28T22:59:59Z'), AMS)).toBe('2026-03-28');
    expect(localDate(at('2026-03-28T23:00:00Z'), AMS)).toBe('2026-03-29');
    expect(localDate(at('2026-10-25T22:59:59Z'), AMS)).toBe('2026-10-25');
    expect(localDate(at('2026-10-25T23:00:00Z'), AMS)).toBe('2026-10-26');
    expect(localMonth(at('2026-09-30T22:00:00Z'), AMS)).toBe('2026-10');
    expect(localYear(at('2026-12-31T23:00:00Z'), AMS)).toBe(2027);
    expect(localYear(at('2027-01-01T02:59:59Z'), SAO)).toBe(2026);
    // 01:00 UTC on 29 March is 03:00 CEST (minute 180); on 25 October it is 02:00 CET (minute 120).
    expect(localMinuteOfDay(at('2026-03-29T01:00:00Z'), AMS)).toBe(180);
    expect(localMinuteOfDay(at('2026-10-25T01:00:00Z'), AMS)).toBe(120);
  });

  it('give the allowance year’s start at local midnight on 1 January', () => {
    expect(yearStartMs(2027, AMS)).toBe(at('2026-12-31T23:00:00Z'));
    expect(yearStartMs(2027, SAO)).toBe(at('2027-01-01T03:00:00Z'));
    // Sydney is on summer time (+11) at New Year.
    expect(yearStartMs(2027, 'Australia/Sydney')).toBe(at('2026-12-31T13:00:00Z'));
  });
});

describe('settlement intervals', () => {
  it('align to the local quarter hour on both sides of the spring change', () => {
    expect(intervalStartMs(at('2026-03-29T00:59:59Z'), 15, AMS)).toBe(at('2026-03-29T00:45:00Z'));
    expect(intervalStartMs(at('2026-03-29T01:00:00Z'), 15, AMS)).toBe(at('2026-03-29T01:00:00Z'));
    expect(intervalStartMs(at('2026-03-29T01:14:59Z'), 15, AMS)).toBe(at('2026-03-29T01:00:00Z'));
  });

  it('run twice through the repeated hour of the autumn change, as distinct intervals', () => {
    // 02:00–03:00 CEST (00:00–01:00 UTC), then 02:00–03:00 CET (01:00–02:00 UTC).
    expect(intervalStartMs(at('2026-10-25T00:30:00Z'), 60, AMS)).toBe(at('2026-10-25T00:00:00Z'));
    expect(intervalStartMs(at('2026-10-25T01:30:00Z'), 60, AMS)).toBe(at('2026-10-25T01:00:00Z'));
  });

  it('tile each changed day without gaps or overlaps: 92 quarter hours in March, 100 in October', () => {
    for (const [day, expected] of [
      [29, 23 * 4],
      [25, 25 * 4],
    ] as const) {
      const month = day === 29 ? 2 : 9;
      const from = localMidnightMs(2026, month, day, AMS);
      const to = localMidnightMs(2026, month, day + 1, AMS);
      const starts = new Set<number>();
      for (let t = from; t < to; t += MIN) starts.add(intervalStartMs(t, 15, AMS));
      const sorted = [...starts].sort((a, b) => a - b);
      expect(sorted.length).toBe(expected);
      expect(sorted[0]).toBe(from);
      sorted.forEach((s, i) => expect(s).toBe(from + i * 15 * MIN));
    }
  });

  it('align to São Paulo’s local hour', () => {
    expect(intervalStartMs(at('2026-06-01T15:59:00Z'), 60, SAO)).toBe(at('2026-06-01T15:00:00Z'));
    expect(intervalStartMs(at('2026-06-01T15:59:00Z'), 30, SAO)).toBe(at('2026-06-01T15:30:00Z'));
  });
});

describe('the simulator’s local clock', () => {
  it('sees an offset change that falls on the half hour of UTC', () => {
    // St John's: 02:00 NST (−3:30) becomes 03:00 NDT (−2:30) at 05:30 UTC on 8 March 2026.
    const clock = new LocalClock('America/St_Johns');
    expect(clock.hourOfDay(at('2026-03-08T05:10:00Z'))).toBeCloseTo(1 + 40 / 60, 9);
    expect(clock.hourOfDay(at('2026-03-08T05:31:00Z'))).toBeCloseTo(3 + 1 / 60, 9);
  });
});
