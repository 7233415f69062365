// How the historian treats each quantity: energy meters' registers are counters (only their
// increase means anything), power is a gauge whose time integral is also kept, everything else
// (voltage, frequency, state of charge, breaker state) a plain gauge.
export type SeriesKind = 'counter' | 'power' | 'gauge';

const counters = new Set(['energyImportKWh', 'energyExportKWh', 'breakerOperations']);

export function seriesKindOf(quantity: string): SeriesKind {
  if (counters.has(quantity)) return 'counter';
  if (quantity === 'powerKW') return 'power';
  return 'gauge';
}

/** Bucket flags, or'ed together in the `flags` column. */
export const FLAG_WRAP = 1;
/** The counter went backwards (reset or replaced meter) or jumped implausibly: energy unknown. */
export const FLAG_RESET = 2;

/**
 * Register sizes a counter can roll over at, in kWh: SunSpec acc16/acc32/acc64 and custom
 * 16/32-bit registers counting Wh, 10 Wh … 1 MWh (SunSpec WH_SF, TotWh_SF ≥ 0). Finer scales
 * are left out: a register that wraps every few kWh would make any restart of a young meter
 * look like a wrap.
 */
const WRAP_MODULI_KWH: number[] = (() => {
  const out: number[] = [];
  for (const bits of [16, 32, 64])
    for (let exponent = 0; exponent <= 3; exponent++) out.push((2 ** bits * 10 ** exponent) / 1000);
  return out.sort((a, b) => a - b);
})();

export interface CounterStep {
  /** Increase over the step, kWh (0 when unknown). */
  increase: number;
  flags: number;
}

/**
 * The increase of an energy counter from one good reading to the next, `elapsedMs` apart.
 * - A rise is the increase, unless it would mean more than `maxPowerKW` over the step: then the
 *   meter was replaced or glitched, and the step counts 0 with FLAG_RESET.
 * - A fall is a wrap when the smallest register size M above the previous reading has the
 *   previous reading in its upper half and makes M − previous + current a plausible increase
 *   (FLAG_WRAP); otherwise it is a reset: 0 with FLAG_RESET.
 *   A reset's energy is not guessed: a meter that restarts at 0 and one swapped for a meter
 *   showing 12,000 kWh look the same, and billing the second would be wrong.
 */
export function counterStep(
  previous: number,
  current: number,
  elapsedMs: number,
  maxPowerKW: number,
): CounterStep {
  const plausible = maxPowerKW * (elapsedMs / 3_600_000);
  const rise = current - previous;
  if (rise >= 0) return rise <= plausible ? { increase: rise, flags: 0 } : { increase: 0, flags: FLAG_RESET };
  for (const modulus of WRAP_MODULI_KWH) {
    if (modulus <= previous) continue;
    const wrapped = modulus - previous + current;
    return previous >= modulus / 2 && wrapped >= 0 && wrapped <= plausible
      ? { increase: wrapped, flags: FLAG_WRAP }
      : { increase: 0, flags: FLAG_RESET };
  }
  return { increase: 0, flags: FLAG_RESET };
}
