// Money as a person reads it, the same on a statement and on the screen: the currency's symbol
// (€, $, £, or the ISO code and a space), a true minus sign, and a fixed number of decimals.
// An amount that rounds to zero at those decimals is shown unsigned: "−€0.00" is never printed.

const symbols: Record<string, string> = { EUR: '€', USD: '$', GBP: '£' };

/** An amount in `currency`; '—' when there is none (null, undefined, NaN or infinite). */
export function money(value: number | null | undefined, currency: string, digits = 2): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return '—';
  const symbol = symbols[currency] ?? `${currency} `;
  const magnitude = Math.abs(value).toFixed(digits);
  const sign = value < 0 && /[1-9]/.test(magnitude) ? '−' : '';
  return `${sign}${symbol}${magnitude}`;
}
