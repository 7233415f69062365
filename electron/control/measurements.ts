// What the microgrid controller reads each second, whatever it comes from: the simulator's
// physics directly (scenario runner) or the poller's live snapshot (console). Every value can be
// missing (null): a meter that does not answer is "unknown", never "zero" and never "grid lost".
import type { BatteryMode } from '../../shared/api/control-api.ts';
import type { EpochMs } from '../../shared/units.ts';

export interface PccMeasurement {
  /** unknown: the PCC meter did not answer or its reading is stale. */
  quality: 'good' | 'unknown';
  /** Grid-side voltage and frequency at the PCC (the meter sits on the grid side of the breaker). */
  voltageV: number | null;
  frequencyHz: number | null;
  /** Exchange with the grid, positive when importing, kW. */
  powerKW: number | null;
  /** From the breaker controller, which answers on its own link. */
  breakerClosed: boolean | null;
  breakerTripped: boolean | null;
  /** Island phase minus grid phase across the open breaker, degrees; null when not measured. */
  phaseDifferenceDeg: number | null;
}

export interface BatteryMeasurement {
  id: string;
  ratedKW: number;
  capacityKWh: number;
  socFraction: number | null;
  /** AC power, positive discharging, kW. */
  powerKW: number | null;
  mode: BatteryMode | null;
  /** False when the inverter reports a fault (tripped) or does not answer. */
  available: boolean | null;
}

export interface TierMeasurement {
  tier: number;
  /** Consumption of the tier's members now, kW; null when any of them is not known now. */
  loadKW: number | null;
  /** Relay position as read back; null when the tier has no relay feedback. */
  shed: boolean | null;
}

export interface Measurements {
  timeMs: EpochMs;
  /** Null for an off-grid site. */
  pcc: PccMeasurement | null;
  /** The site side: voltage and frequency the loads see (from the battery inverters' terminals). */
  island: { voltageV: number | null; frequencyHz: number | null };
  pool: {
    /** Energy-weighted state of charge of the pool, 0..1; null unless every inverter's is known. */
    socFraction: number | null;
    /** The pool's AC power, positive discharging, kW; null unless every inverter's is known. */
    powerKW: number | null;
    batteries: BatteryMeasurement[];
  };
  pv: {
    /** PV output now, kW; null unless every PV meter is known. */
    powerKW: number | null;
    /** What the PV could give uncurtailed, kW, when the source knows it. */
    availableKW: number | null;
  };
  tiers: TierMeasurement[];
}

/** The island's buses are live: some voltage and frequency at the inverters' terminals. */
export function islandEnergised(m: Measurements, nominalVoltageV: number): boolean | null {
  const { voltageV, frequencyHz } = m.island;
  if (voltageV === null && frequencyHz === null) return null;
  if (voltageV !== null && voltageV < 0.5 * nominalVoltageV) return false;
  if (frequencyHz !== null && frequencyHz < 1) return false;
  return true;
}

/** Rated power of the inverters that can run now, kW. */
export function availableRatedKW(m: Measurements): number {
  return m.pool.batteries.reduce((sum, b) => sum + (b.available === false ? 0 : b.ratedKW), 0);
}
