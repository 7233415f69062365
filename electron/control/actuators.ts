// What the microgrid controller can do to the site. Each call can fail or be refused (an
// interlock, a device that does not answer, a breaker that does not move): the controller reads
// the reason and decides, it never assumes a command took effect.
import type { BatteryMode } from '../../shared/api/control-api.ts';

export type ActuatorResult = { ok: true } | { ok: false; reason: string };

export const done: ActuatorResult = { ok: true };
export const failed = (reason: string): ActuatorResult => ({ ok: false, reason });

export interface Actuators {
  openBreaker(reason: string): Promise<ActuatorResult>;
  /** Closing the PCC breaker; the live path asks the sync-check interlock first. */
  closeBreaker(reason: string): Promise<ActuatorResult>;
  /** Every available inverter of the pool, or only `inverter`. */
  setBatteryMode(mode: BatteryMode, reason: string, inverter?: string): Promise<ActuatorResult>;
  /** Pool total in kW, positive discharging; the adapter shares it across available inverters. */
  setBatterySetpoint(powerKW: number, reason: string): Promise<ActuatorResult>;
  /** Fraction 0..1 of available PV allowed. */
  setPvLimit(fraction: number, reason: string): Promise<ActuatorResult>;
  /** Opens (shed true) or closes the shed relays of every member in `tier`. */
  setTierShed(tier: number, shed: boolean, reason: string): Promise<ActuatorResult>;
}
