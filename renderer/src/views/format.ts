// Numbers with their units, the same way everywhere on screen.
import type { Reading } from '../../../shared/api/live.ts';

export function kw(value: number | null | undefined, digits = 1): string {
  return value === null || value === undefined || Number.isNaN(value) ? '—' : `${value.toFixed(digits)} kW`;
}

export function reading(r: Reading | undefined, digits = 1): string {
  if (!r || r.value === null) return '—';
  return `${r.value.toFixed(digits)}${r.unit ? ` ${r.unit}` : ''}`;
}

export function percent(fraction: number | null | undefined): string {
  return fraction === null || fraction === undefined ? '—' : `${(fraction * 100).toFixed(0)} %`;
}

export function clock(timeMs: number, timeZone?: string): string {
  return new Date(timeMs).toLocaleTimeString('en-GB', { timeZone, hour12: false });
}
