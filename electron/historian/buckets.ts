// Rollup buckets in the site's own time: one minute, the settlement interval, the local hour and
// the local day. A bucket is named by its start (epoch ms) and holds [start, end). Days follow
// the site's timezone, so a day of a daylight-saving change lasts 23 or 25 hours.
import { zoneOffsetMinutes } from '../../shared/time/zone.ts';
import { MS_PER_HOUR, MS_PER_MINUTE } from '../../shared/units.ts';

/** A rollup resolution, as its length in minutes; 1440 is the site's local day, whatever its length. */
export type ResolutionMinutes = number;

export const MINUTE: ResolutionMinutes = 1;
export const HOUR: ResolutionMinutes = 60;
export const DAY: ResolutionMinutes = 1440;

/** Offsets and their changes fall on quarter hours in every zone in use, so a quarter hour is cached whole. */
const OFFSET_SLOT_MS = 15 * MS_PER_MINUTE;

export class Bucketing {
  private readonly offsets = new Map<number, number>();

  constructor(readonly timeZone: string) {
    // An unknown zone fails here, once, rather than on the first sample.
    zoneOffsetMinutes(timeZone, 0);
  }

  /** The zone's offset from UTC at `timeMs`, in ms. */
  offsetMs(timeMs: number): number {
    const slot = Math.floor(timeMs / OFFSET_SLOT_MS);
    let offset = this.offsets.get(slot);
    if (offset === undefined) {
      if (this.offsets.size > 50_000) this.offsets.clear();
      offset = zoneOffsetMinutes(this.timeZone, slot * OFFSET_SLOT_MS) * MS_PER_MINUTE;
      this.offsets.set(slot, offset);
    }
    return offset;
  }

  /** Start of the bucket of `resolution` that holds `timeMs`. */
  start(timeMs: number, resolution: ResolutionMinutes): number {
    if (resolution === MINUTE) return timeMs - mod(timeMs, MS_PER_MINUTE);
    if (resolution === DAY) return this.dayStart(timeMs);
    const length = resolution * MS_PER_MINUTE;
    const offset = this.offsetMs(timeMs);
    return timeMs - mod(timeMs + offset, length);
  }

  /** End of the bucket that starts at `startMs` (the start of the next one). */
  end(startMs: number, resolution: ResolutionMinutes): number {
    if (resolution === DAY) return this.dayStart(startMs + 30 * MS_PER_HOUR);
    return startMs + resolution * MS_PER_MINUTE;
  }

  /** Local midnight at or before `timeMs`. */
  private dayStart(timeMs: number): number {
    const localAsUtc = timeMs + this.offsetMs(timeMs);
    const midnightAsUtc = localAsUtc - mod(localAsUtc, 24 * MS_PER_HOUR);
    // The offset at midnight may differ from the offset at `timeMs` on a daylight-saving day.
    let start = midnightAsUtc - this.offsetMs(timeMs);
    start = midnightAsUtc - this.offsetMs(start);
    if (start > timeMs) start = midnightAsUtc - this.offsetMs(start - 1);
    return start;
  }

  /** The local calendar date of `timeMs` as YYYY-MM-DD. */
  localDate(timeMs: number): string {
    return new Date(timeMs + this.offsetMs(timeMs)).toISOString().slice(0, 10);
  }

  /** Start of the local month holding `timeMs`. */
  monthStart(timeMs: number): number {
    const local = new Date(timeMs + this.offsetMs(timeMs));
    const firstAsUtc = Date.UTC(local.getUTCFullYear(), local.getUTCMonth(), 1);
    return this.start(firstAsUtc - this.offsetMs(firstAsUtc) + MS_PER_HOUR, DAY);
  }

  /** Start of the local month after the one that starts at `startMs`. */
  monthEnd(startMs: number): number {
    return this.monthStart(startMs + 32 * 24 * MS_PER_HOUR);
  }
}

function mod(a: number, n: number): number {
  return ((a % n) + n) % n;
}

export const MS_PER_DAY_NOMINAL = 24 * MS_PER_HOUR;

/** Length of a bucket, ms; for a local day, the usual 24 hours. */
export function nominalMs(resolution: ResolutionMinutes): number {
  return resolution * MS_PER_MINUTE;
}

const shared = new Map<string, Bucketing>();

/** One Bucketing per timezone for readers, so the offset cache is shared. */
export function bucketingFor(timeZone: string): Bucketing {
  let b = shared.get(timeZone);
  if (!b) shared.set(timeZone, (b = new Bucketing(timeZone)));
  return b;
}

/** Label of a resolution in the API, exports and the CLI: '1m', '15m', '1h', '1d'. */
export function resolutionLabel(resolution: ResolutionMinutes): string {
  if (resolution === DAY) return '1d';
  if (resolution === HOUR) return '1h';
  return `${resolution}m`;
}

export function parseResolutionLabel(label: string): ResolutionMinutes | null {
  if (label === '1d') return DAY;
  if (label === '1h') return HOUR;
  const m = /^(\d+)m$/.exec(label);
  return m ? Number(m[1]) : null;
}
