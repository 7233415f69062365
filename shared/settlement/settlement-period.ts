// Calendar periods of settlement in the site's timezone: a statement's month runs from local
// midnight on the 1st to local midnight on the 1st of the next month, whatever the offset did in
// between (the wall-clock arithmetic itself is shared/time/zone.ts's).
import { localMidnightMs } from '../time/zone.ts';

export const MONTH_PATTERN = /^(\d{4})-(0[1-9]|1[0-2])$/;

/** [fromMs, toMs) of a month 'YYYY-MM' in the site's timezone. */
export function monthRange(month: string, timeZone: string): { fromMs: number; toMs: number } {
  const match = MONTH_PATTERN.exec(month);
  if (!match) throw new Error(`month '${month}': write it as YYYY-MM, e.g. 2026-06`);
  const year = Number(match[1]);
  const m = Number(match[2]) - 1;
  return { fromMs: localMidnightMs(year, m, 1, timeZone), toMs: localMidnightMs(year, m + 1, 1, timeZone) };
}
