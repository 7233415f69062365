// Calendar periods in the site's timezone: a statement's month runs from local midnight on the
// 1st to local midnight on the 1st of the next month, whatever the offset did in between.
import { zoneOffsetMinutes } from '../time/zone.ts';

/** The instant local midnight begins on the given local date (month 0-based; may overflow). */
export function localMidnightMs(year: number, month: number, day: number, timeZone: string): number {
  const naive = Date.UTC(year, month, day);
  let guess = naive - zoneOffsetMinutes(timeZone, naive) * 60_000;
  // A second pass takes the offset in force at the guess, right across a transition.
  guess = naive - zoneOffsetMinutes(timeZone, guess) * 60_000;
  return guess;
}

export const MONTH_PATTERN = /^(\d{4})-(0[1-9]|1[0-2])$/;

/** [fromMs, toMs) of a month 'YYYY-MM' in the site's timezone. */
export function monthRange(month: string, timeZone: string): { fromMs: number; toMs: number } {
  const match = MONTH_PATTERN.exec(month);
  if (!match) throw new Error(`month '${month}': write it as YYYY-MM, e.g. 2026-06`);
  const year = Number(match[1]);
  const m = Number(match[2]) - 1;
  return { fromMs: localMidnightMs(year, m, 1, timeZone), toMs: localMidnightMs(year, m + 1, 1, timeZone) };
}

/** Local date 'YYYY-MM-DD' of an instant. */
export function localDate(timeMs: number, timeZone: string): string {
  return new Date(timeMs + zoneOffsetMinutes(timeZone, timeMs) * 60_000).toISOString().slice(0, 10);
}

/** Local month 'YYYY-MM' of an instant. */
export function localMonth(timeMs: number, timeZone: string): string {
  return localDate(timeMs, timeZone).slice(0, 7);
}

/** The start of the interval of `minutes` that contains `timeMs`, aligned to local time. */
export function intervalStartMs(timeMs: number, minutes: number, timeZone: string): number {
  const offsetMs = zoneOffsetMinutes(timeZone, timeMs) * 60_000;
  const length = minutes * 60_000;
  return Math.floor((timeMs + offsetMs) / length) * length - offsetMs;
}
