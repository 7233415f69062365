// Figures of the settlement views, with their units, in the site's timezone and currency.
export function kWh(value: number | null | undefined, digits = 1): string {
  return value === null || value === undefined || !Number.isFinite(value)
    ? '—'
    : `${value.toFixed(digits)} kWh`;
}

export function money(value: number | null | undefined, currency: string, digits = 2): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return '—';
  const symbol =
    currency === 'EUR' ? '€' : currency === 'USD' ? '$' : currency === 'GBP' ? '£' : `${currency} `;
  const sign = value < -0.5 * 10 ** -digits ? '−' : '';
  return `${sign}${symbol}${Math.abs(value).toFixed(digits)}`;
}

export function pct(fraction: number | null | undefined, digits = 0): string {
  return fraction === null || fraction === undefined || !Number.isFinite(fraction)
    ? '—'
    : `${(fraction * 100).toFixed(digits)} %`;
}

/** 'YYYY-MM-DD' of an instant in the site's timezone. */
export function localDay(timeMs: number, timeZone: string): string {
  return new Intl.DateTimeFormat('en-CA', {
    timeZone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
  }).format(new Date(timeMs));
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
