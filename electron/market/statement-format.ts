// Numbers on statements, the same in HTML and PDF: energies in kWh to the Wh, money to the cent
// in the site's currency, dates in the site's timezone.
import { money } from '../../shared/money.ts';
import { localParts } from '../../shared/time/zone.ts';

export { money };

export function kwh(value: number, digits = 3): string {
  return `${fixed(value, digits)} kWh`;
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
  const p = localParts(timeMs, timeZone);
  const two = (n: number) => String(n).padStart(2, '0');
  return `${p.year}-${two(p.month)}-${two(p.day)} ${two(p.hour)}:${two(p.minute)}`;
}

export function monthName(month: string): string {
  const [y, m] = month.split('-').map(Number);
  return new Date(Date.UTC(y!, m! - 1, 1)).toLocaleString('en-GB', {
    month: 'long',
    year: 'numeric',
    timeZone: 'UTC',
  });
}
