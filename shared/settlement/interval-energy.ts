// The metered energies of one settlement interval: what the historian hands to settlement, and
// what the market, virtual storage and the ledger are computed from. Energies in kWh over the
// interval, from counter deltas (never from integrating power), so they are exact and
// reproducible from the stored samples.
import type { EpochMs } from '../units.ts';

/** How the site ran during the interval (from the control state machine's record). */
export type IntervalMode = 'grid-connected' | 'islanded' | 'off-grid' | 'blackout';

export interface MemberIntervalEnergy {
  member: string;
  /** Energy the member's meter counted as imported (drawn from the network), kWh. */
  importKWh: number;
  /** Energy the member's meter counted as exported (fed into the network), kWh. */
  exportKWh: number;
  /** False when the meter's counters were missing for part of the interval (then estimated or zero). */
  complete: boolean;
}

export interface IntervalEnergies {
  siteId: string;
  startMs: EpochMs;
  minutes: number;
  mode: IntervalMode;
  members: MemberIntervalEnergy[];
  /** Battery pool at its AC terminals, kWh: energy into the pool and out of it. */
  pool: {
    chargedKWh: number;
    dischargedKWh: number;
    socStart: number | null;
    socEnd: number | null;
    capacityKWh: number;
  };
  /** PCC exchange, kWh (zero when islanded or off-grid). */
  pcc: { importKWh: number; exportKWh: number };
  /** True when every counter needed was present at both ends of the interval. */
  complete: boolean;
}
