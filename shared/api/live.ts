// The live picture of a site, as the poller sees it: every value with its unit, timestamp and
// quality, and the figures the overview shows.
import type { EpochMs } from '../units.ts';

/** good: read this cycle; stale: last good value older than its device's period allows;
 *  bad: the device did not answer or answered garbage; not-implemented: the device has no such point. */
export type Quality = 'good' | 'stale' | 'bad' | 'not-implemented';

export interface Reading {
  value: number | null;
  unit: string;
  quality: Quality;
  timeMs: EpochMs;
}

/** Canonical quantities a device's points are mapped to, whatever its register map. */
export type Quantity =
  | 'powerKW'
  | 'energyImportKWh'
  | 'energyExportKWh'
  | 'voltageV'
  | 'frequencyHz'
  | 'currentA'
  | 'socFraction'
  | 'breakerClosed'
  | 'breakerTripped'
  | 'breakerCommand'
  | 'breakerOperations'
  /** Phase angle across the open PCC breaker (grid side minus island side), degrees. */
  | 'phaseDifferenceDeg'
  | 'batteryChargeLimitKW'
  | 'batteryMode'
  /** 1 while the battery (or its inverter) reports a fault and will not run, else 0. */
  | 'batteryFault';

export const quantityUnits: Record<Quantity, string> = {
  powerKW: 'kW',
  energyImportKWh: 'kWh',
  energyExportKWh: 'kWh',
  voltageV: 'V',
  frequencyHz: 'Hz',
  currentA: 'A',
  socFraction: '',
  breakerClosed: '',
  breakerTripped: '',
  breakerCommand: '',
  breakerOperations: '',
  phaseDifferenceDeg: '°',
  batteryChargeLimitKW: 'kW',
  batteryMode: '',
  batteryFault: '',
};

export type DeviceState = 'online' | 'offline' | 'connecting';

export interface DeviceLive {
  id: string;
  kind: string;
  state: DeviceState;
  lastGoodMs: EpochMs | null;
  /** Round trip of the last complete read, in milliseconds. */
  latencyMs: number | null;
  error: string | null;
  readings: Partial<Record<Quantity, Reading>>;
}

/**
 * A sum over devices some of which may be unknown. `valueKW` adds only the members that count
 * (see shared/live/reading-quality.ts); `complete` is true only when none is missing, so a reader
 * never takes the sum of what is left for the whole.
 */
export interface SumKW {
  valueKW: number;
  complete: boolean;
  /** Ids of the members (site members or devices) whose reading does not count now. */
  missing: string[];
}

/**
 * The site as of one moment, built once from the poller's devices under one quality policy
 * (electron/live/site-state.ts): what viewers see, and what the controller, the market preview and
 * settlement read. Every derived figure carries a value only when its inputs count; a reading that
 * does not count keeps its quality and time, with value null.
 */
export interface LiveSnapshot {
  timeMs: EpochMs;
  pcc: {
    powerKW: Reading;
    voltageV: Reading;
    frequencyHz: Reading;
    breakerClosed: Reading;
  } | null;
  totals: {
    /** PV output of members and community PV, kW (members metered by their PV inverter). */
    pv: SumKW;
    /** Consumption of the other members, kW (net metered members: their net import). */
    load: SumKW;
    /** Battery pool AC power, positive when discharging, kW. */
    battery: SumKW;
    /** Energy-weighted state of charge of the pool, 0..1; null unless every inverter's SoC counts. */
    socFraction: number | null;
    /** Pool inverters whose state of charge does not count now. */
    socMissing: string[];
    /** Devices answering now: read in their last cycle, fresh, nothing refused. */
    devicesOnline: number;
    devicesTotal: number;
  };
  /** Net power at each member's meter, positive when importing, kW. */
  members: Record<string, Reading>;
  /**
   * Power each branch carries from parent to child, kW: measured at feeder heads, else summed
   * from members. A summed flow with members below it unknown is the partial sum, quality
   * 'stale', and names them in `missing`.
   */
  branches: Record<string, Reading & { measured: boolean; missing: string[] }>;
  batteries: Record<string, { powerKW: Reading; socFraction: Reading }>;
  /** Every device with its readings aged by the quality policy (a good reading past its freshness is stale). */
  devices: DeviceLive[];
}
