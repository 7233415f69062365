// Is the grid there? From the PCC meter (grid side of the breaker) and the breaker's trip flag.
// A meter that does not answer makes the grid "unknown": the console never islands a village
// because a cable to a meter came loose. And has the grid been stable long enough to return to?
import type { ControlConfig } from './control-config.ts';
import type { PccMeasurement } from './measurements.ts';

export type GridStatus = 'present' | 'lost' | 'unknown';

export interface GridAssessment {
  status: GridStatus;
  reason: string;
}

export interface Nominal {
  voltageV: number;
  frequencyHz: number;
}

export function assessGrid(
  pcc: PccMeasurement | null,
  nominal: Nominal,
  limits: ControlConfig['gridLoss'],
): GridAssessment {
  if (!pcc) return { status: 'lost', reason: 'the site has no grid connection' };
  if (pcc.breakerTripped === true) return { status: 'lost', reason: 'PCC breaker tripped' };
  if (pcc.quality !== 'good' || pcc.voltageV === null || pcc.frequencyHz === null)
    return { status: 'unknown', reason: 'PCC meter not answering' };
  const pu = pcc.voltageV / nominal.voltageV;
  if (pu < limits.voltageLowPu)
    return {
      status: 'lost',
      reason: `PCC voltage ${pcc.voltageV.toFixed(0)} V is below ${(limits.voltageLowPu * 100).toFixed(0)} % of ${nominal.voltageV} V`,
    };
  if (pu > limits.voltageHighPu)
    return {
      status: 'lost',
      reason: `PCC voltage ${pcc.voltageV.toFixed(0)} V is above ${(limits.voltageHighPu * 100).toFixed(0)} % of ${nominal.voltageV} V`,
    };
  const df = pcc.frequencyHz - nominal.frequencyHz;
  if (Math.abs(df) > limits.frequencyToleranceHz)
    return {
      status: 'lost',
      reason: `PCC frequency ${pcc.frequencyHz.toFixed(2)} Hz is outside ${nominal.frequencyHz} ± ${limits.frequencyToleranceHz} Hz`,
    };
  return { status: 'present', reason: 'grid within limits' };
}

/** Tracks since when the grid has been inside the reconnection band without a break. */
export class GridStability {
  private stableSinceMs: number | null = null;
  private lastReason = 'no reading yet';

  constructor(
    private readonly nominal: Nominal,
    private readonly band: ControlConfig['stability'],
  ) {}

  update(pcc: PccMeasurement | null, timeMs: number): void {
    const why = this.outside(pcc);
    if (why) {
      this.stableSinceMs = null;
      this.lastReason = why;
    } else this.stableSinceMs ??= timeMs;
  }

  /** Seconds inside the band so far, or null while outside it. */
  stableForSeconds(timeMs: number): number | null {
    return this.stableSinceMs === null ? null : (timeMs - this.stableSinceMs) / 1000;
  }

  /** Why the grid is not inside the band (the last sample's reason). */
  get reason(): string {
    return this.lastReason;
  }

  private outside(pcc: PccMeasurement | null): string | null {
    if (!pcc || pcc.quality !== 'good' || pcc.voltageV === null || pcc.frequencyHz === null)
      return 'PCC meter not answering';
    const pu = pcc.voltageV / this.nominal.voltageV;
    if (pu < this.band.voltageLowPu || pu > this.band.voltageHighPu)
      return `grid voltage ${(pu * 100).toFixed(1)} % is outside ${(this.band.voltageLowPu * 100).toFixed(0)}–${(this.band.voltageHighPu * 100).toFixed(0)} %`;
    const df = pcc.frequencyHz - this.nominal.frequencyHz;
    if (Math.abs(df) > this.band.frequencyToleranceHz)
      return `grid frequency ${pcc.frequencyHz.toFixed(2)} Hz is outside ${this.nominal.frequencyHz} ± ${this.band.frequencyToleranceHz} Hz`;
    return null;
  }
}
