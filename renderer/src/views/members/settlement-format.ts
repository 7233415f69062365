// Figures of the settlement views, with their units, in the site's timezone and currency (money
// as shared/money.ts writes it, so the screen and the statement agree to the cent).
import { money } from '../../../../shared/money.ts';
import { localDate } from '../../../../shared/time/zone.ts';

export { money };

export function kWh(value: number | null | undefined, digits = 1): string {
  return value === null || value === undefined || !Number.isFinite(value)
    ? '—'
    : `${value.toFixed(digits)} kWh`;
}

export function pct(fraction: number | null | undefined, digits = 0): string {
  return fraction === null || fraction === undefined || !Number.isFinite(fraction)
    ? '—'
    : `${(fraction * 100).toFixed(digits)} %`;
}

/** 'YYYY-MM-DD' of an instant in the site's timezone. */
export function localDay(timeMs: number, timeZone: string): string {
  return localDate(timeMs, timeZone);
}

/** 'DD Mon HH:MM' of an instant in the site's timezone. */
export function localTime(timeMs: number, timeZone: string): string {
  return new Intl.DateTimeFormat('en-GB', {
    timeZone,
    day: '2-digit',
    month: 'short',
    hour: '2-digit',
    minute: '2-digit',
    hour12: false,
  }).format(new Date(timeMs));
}

export function periodLabel(fromMs: number, toMs: number, timeZone: string): string {
  const first = localDay(fromMs, timeZone);
  const last = localDay(toMs - 1, timeZone);
  return first === last ? first : `${first} – ${last}`;
}

export function monthLabel(month: string): string {
  const [y, m] = month.split('-').map(Number);
  return new Date(Date.UTC(y!, m! - 1, 1)).toLocaleString('en-GB', {
    month: 'long',
    year: 'numeric',
    timeZone: 'UTC',
  });
}
