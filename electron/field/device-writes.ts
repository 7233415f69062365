// The write half of the driver contract: a control quantity written to a device and read back.
// The command path above it says what to write and keeps interlocks and audit; how a quantity
// sits in registers (SunSpec models, a custom map's points) is the driver's business alone.
import type { BatteryMode } from '../../shared/api/battery-modes.ts';

/** What a driver can be told to write, in engineering terms. */
export type WriteRequest =
  | { quantity: 'batteryMode'; mode: BatteryMode }
  /** Positive discharges, kW; the inverter is put in setpoint mode to follow it. */
  | { quantity: 'batterySetpointKW'; valueKW: number }
  /** Close (true) or open the breaker; read back as its position once it has moved. */
  | { quantity: 'breakerClosed'; closed: boolean }
  /** One relay channel (a custom map's point named for the member it feeds): shed or reconnect. */
  | { quantity: 'shedRelay'; channel: string; shed: boolean }
  /** Active power limit as a fraction of the rating; 1 lifts the limit. */
  | { quantity: 'pvLimitFraction'; fraction: number };

/** What the device holds after the write, by register-map point name. */
export type ReadBack = Record<string, number | string>;

/** The write was refused before anything was written (the device cannot take it). */
export class WriteRefusedError extends Error {
  override name = 'WriteRefusedError';
}

/** The device took the write but does not hold (or do) what was written. */
export class ReadBackError extends Error {
  override name = 'ReadBackError';
}

/** A device that moves after a write (a breaker, an inverter changing mode) is read until it shows it. */
export const SETTLE_MS = 2000;
const SETTLE_POLL_MS = 100;

/** Reads until `done` holds or `withinMs` has passed, and returns the last reading. */
export async function settle<T>(
  read: () => Promise<T>,
  done: (value: T) => boolean,
  withinMs: number = SETTLE_MS,
  now: () => number = Date.now,
): Promise<T> {
  const deadline = now() + withinMs;
  for (;;) {
    const value = await read();
    if (done(value) || now() >= deadline) return value;
    await new Promise((r) => setTimeout(r, SETTLE_POLL_MS));
  }
}
