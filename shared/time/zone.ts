// Local time in the site's IANA timezone, by the platform's Intl data (no tz library needed).

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

/** Offset of `timeZone` from UTC at `timeMs`, in minutes (Lisbon summer: +60). */
export function zoneOffsetMinutes(timeZone: string, timeMs: number): number {
  const parts: Record<string, number> = {};
  for (const p of formatter(timeZone).formatToParts(new Date(timeMs))) {
    if (p.type !== 'literal') parts[p.type] = Number(p.value);
  }
  const asUtc = Date.UTC(
    parts.year ?? 1970,
    (parts.month ?? 1) - 1,
    parts.day ?? 1,
    parts.hour ?? 0,
    parts.minute ?? 0,
    parts.second ?? 0,
  );
  return Math.round((asUtc - Math.floor(timeMs / 1000) * 1000) / 60_000);
}

/** ISO 8601 with the zone's offset, e.g. 2026-06-01T14:00:00+01:00. */
export function isoInZone(timeMs: number, timeZone: string): string {
  const offset = zoneOffsetMinutes(timeZone, timeMs);
  const local = new Date(timeMs + offset * 60_000).toISOString().slice(0, 19);
  const sign = offset < 0 ? '-' : '+';
  const abs = Math.abs(offset);
  return `${local}${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
}

/** Caches the offset per hour: offsets change at most on the hour, and the simulator asks per second. */
export class LocalClock {
  private hourKey = Number.NaN;
  private offsetMinutes = 0;

  constructor(readonly timeZone: string) {}

  /** Local hour of day as a fraction, 0 ≤ h < 24. */
  hourOfDay(timeMs: number): number {
    const key = Math.floor(timeMs / 3_600_000);
    if (key !== this.hourKey) {
      this.hourKey = key;
      this.offsetMinutes = zoneOffsetMinutes(this.timeZone, timeMs);
    }
    const localMs = timeMs + this.offsetMinutes * 60_000;
    return (((localMs % 86_400_000) + 86_400_000) % 86_400_000) / 3_600_000;
  }
}
