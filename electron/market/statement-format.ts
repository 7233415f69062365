// Numbers on statements, the same in HTML and PDF: energies in kWh to the Wh, money to the cent
// in the site's currency, dates in the site's timezone.
import { zoneOffsetMinutes } from '../../shared/time/zone.ts';

export function kwh(value: number, digits = 3): string {
  return `${fixed(value, digits)} kWh`;
}

export function money(value: number, currency: string): string {
  const symbol =
    currency === 'EUR' ? '€' : currency === 'USD' ? '$' : currency === 'GBP' ? '£' : `${currency} `;
  const sign = value < -0.0049 ? '−' : '';
  return `${sign}${symbol}${Math.abs(value).toFixed(2)}`;
}

export function price(value: number | null, currency: string): string {
  return value === null ? '' : `${money(value, currency)}/kWh`;
}

export function fixed(value: number, digits: number): string {
  const s = value.toFixed(digits);
  return /^-0\.?0*$/.test(s) ? s.slice(1) : s.replace('-', '−');
}

/** 'YYYY-MM-DD HH:MM' in the site's timezone. */
export function localDateTime(timeMs: number, timeZone: string): string {
  return new Date(timeMs + zoneOffsetMinutes(timeZone, timeMs) * 60_000)
    .toISOString()
    .slice(0, 16)
    .replace('T', ' ');
}

export function monthName(month: string): string {
  const [y, m] = month.split('-').map(Number);
  return new Date(Date.UTC(y!, m! - 1, 1)).toLocaleString('en-GB', {
    month: 'long',
    year: 'numeric',
    timeZone: 'UTC',
  });
}
