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

export interface LiveSnapshot {
  timeMs: EpochMs;
  pcc: {
    powerKW: Reading;
    voltageV: Reading;
    frequencyHz: Reading;
    breakerClosed: Reading;
  } | null;
  totals: {
    /** PV output of members and community PV, kW. */
    pvKW: number;
    /** Consumption of all members, kW (net metered members: net import plus own PV). */
    loadKW: number;
    /** Battery pool AC power, positive when discharging, kW. */
    batteryKW: number;
    /** Energy-weighted state of charge of the pool, 0..1, or null when unknown. */
    socFraction: number | null;
    devicesOnline: number;
    devicesTotal: number;
  };
  /** Net power at each member's meter, positive when importing, kW. */
  members: Record<string, Reading>;
  /** Power each branch carries from parent to child, kW: measured at feeder heads, else summed from members. */
  branches: Record<string, Reading & { measured: boolean }>;
  batteries: Record<string, { powerKW: Reading; socFraction: Reading }>;
  devices: DeviceLive[];
}
