// Local time in the site's IANA timezone, by the platform's Intl data (no tz library needed): the
// one owner of wall-clock arithmetic — local dates, midnights, years, minutes of the day and
// interval alignment — right across offset changes. A local day is not always 24 hours long.
import { MS_PER_MINUTE } from '../units.ts';

const MS_PER_DAY = 86_400_000;

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-GB', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
    formatters.set(timeZone, f);
  }
  return f;
}

/** Wall-clock time in a zone: month 1–12. */
export interface LocalParts {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
}

/** The wall clock of `timeZone` at `timeMs` (to the second). */
export function localParts(timeMs: number, timeZone: string): LocalParts {
  const parts: Record<string, number> = {};
  for (const p of formatter(timeZone).formatToParts(new Date(timeMs))) {
    if (p.type !== 'literal') parts[p.type] = Number(p.value);
  }
  return {
    year: parts.year ?? 1970,
    month: parts.month ?? 1,
    day: parts.day ?? 1,
    hour: parts.hour ?? 0,
    minute: parts.minute ?? 0,
    second: parts.second ?? 0,
  };
}

/** Offset of `timeZone` from UTC at `timeMs`, in minutes (Lisbon summer: +60). */
export function zoneOffsetMinutes(timeZone: string, timeMs: number): number {
  const p = localParts(timeMs, timeZone);
  const asUtc = Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second);
  return Math.round((asUtc - Math.floor(timeMs / 1000) * 1000) / MS_PER_MINUTE);
}

/** Local date 'YYYY-MM-DD' of an instant. */
export function localDate(timeMs: number, timeZone: string): string {
  const p = localParts(timeMs, timeZone);
  return `${String(p.year).padStart(4, '0')}-${pad2(p.month)}-${pad2(p.day)}`;
}

/** Local month 'YYYY-MM' of an instant. */
export function localMonth(timeMs: number, timeZone: string): string {
  return localDate(timeMs, timeZone).slice(0, 7);
}

/** The calendar year of an instant in the zone. */
export function localYear(timeMs: number, timeZone: string): number {
  return localParts(timeMs, timeZone).year;
}

/** Minutes since local midnight by the wall clock, 0 ≤ m < 1440 (02:30 is 150 on any day). */
export function localMinuteOfDay(timeMs: number, timeZone: string): number {
  const p = localParts(timeMs, timeZone);
  return p.hour * 60 + p.minute;
}

/**
 * The first instant the zone's clock reads the given wall time (month 0-based; day, hour and
 * minute may overflow, as in Date.UTC). A time the clock skips (spring forward) gives the instant
 * the skip ends; a time it shows twice (fall back) gives the earlier.
 */
export function localTimeMs(
  timeZone: string,
  year: number,
  month: number,
  day: number,
  hour = 0,
  minute = 0,
): number {
  const wallMs = Date.UTC(year, month, day, hour, minute);
  // No zone changes its offset twice within two days: the offsets either side are the candidates.
  const before = zoneOffsetMinutes(timeZone, wallMs - 2 * MS_PER_DAY);
  const after = zoneOffsetMinutes(timeZone, wallMs + 2 * MS_PER_DAY);
  const fits = [before, after]
    .map((offset) => wallMs - offset * MS_PER_MINUTE)
    .filter((t) => zoneOffsetMinutes(timeZone, t) * MS_PER_MINUTE === wallMs - t);
  if (fits.length > 0) return Math.min(...fits);
  // In a gap: the clock jumped over the wall time. Find the jump between the two readings.
  let lo = wallMs - Math.max(before, after) * MS_PER_MINUTE;
  let hi = wallMs - Math.min(before, after) * MS_PER_MINUTE;
  while (hi - lo > 1000) {
    const mid = Math.floor((lo + hi) / 2000) * 1000;
    if (zoneOffsetMinutes(timeZone, mid) === before) lo = mid;
    else hi = mid;
  }
  return hi;
}

/** The instant local midnight begins on the given local date (month 0-based; the day may overflow). */
export function localMidnightMs(year: number, month: number, day: number, timeZone: string): number {
  return localTimeMs(timeZone, year, month, day);
}

/**
 * The start of the interval of `minutes` that holds `timeMs`, aligned to the zone's wall clock
 * (a quarter hour starts at :00, :15, … local time, also where the offset is not whole hours).
 * Interval lengths divide the hour and offsets change by whole hours or half hours, so the
 * offset in force at `timeMs` is the one at the interval's start; in the repeated hour of a fall
 * back each wall-clock interval occurs twice, as two distinct intervals.
 */
export function intervalStartMs(timeMs: number, minutes: number, timeZone: string): number {
  const offsetMs = zoneOffsetMinutes(timeZone, timeMs) * MS_PER_MINUTE;
  const lengthMs = minutes * MS_PER_MINUTE;
  return Math.floor((timeMs + offsetMs) / lengthMs) * lengthMs - offsetMs;
}

function pad2(n: number): string {
  return String(n).padStart(2, '0');
}

/** ISO 8601 with the zone's offset, e.g. 2026-06-01T14:00:00+01:00. */
export function isoInZone(timeMs: number, timeZone: string): string {
  const offset = zoneOffsetMinutes(timeZone, timeMs);
  const local = new Date(timeMs + offset * MS_PER_MINUTE).toISOString().slice(0, 19);
  const sign = offset < 0 ? '-' : '+';
  const abs = Math.abs(offset);
  return `${local}${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
}

const QUARTER_HOUR_MS = 15 * MS_PER_MINUTE;

/**
 * Caches the offset per UTC quarter hour: the simulator asks per second, and offsets change on a
 * quarter hour of UTC (not always on the hour: St John's changes at 05:30 UTC).
 */
export class LocalClock {
  private slotKey = Number.NaN;
  private offsetMinutes = 0;

  constructor(readonly timeZone: string) {}

  /** Local hour of day as a fraction, 0 ≤ h < 24. */
  hourOfDay(timeMs: number): number {
    const key = Math.floor(timeMs / QUARTER_HOUR_MS);
    if (key !== this.slotKey) {
      this.slotKey = key;
      this.offsetMinutes = zoneOffsetMinutes(this.timeZone, timeMs);
    }
    const localMs = timeMs + this.offsetMinutes * MS_PER_MINUTE;
    return (((localMs % MS_PER_DAY) + MS_PER_DAY) % MS_PER_DAY) / (60 * MS_PER_MINUTE);
  }
}
