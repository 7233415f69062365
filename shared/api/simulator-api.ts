// Calls on the built-in simulator, for demonstrations and training on a simulated site: cut or
// restore the grid, change the weather. A console on real devices refuses them.
import { changes, reads, type CallAccess } from './access.ts';
import { z } from 'zod';

export const simWeathers = ['clear', 'cloudy', 'storm'] as const;
export type SimWeather = (typeof simWeathers)[number];

export interface SimulatorState {
  /** False when the console runs on real devices: every other call is refused. */
  simulated: boolean;
  gridAvailable: boolean | null;
  weather: SimWeather | null;
  /**
   * Values the simulator clamped to their registers' range (it never stops on one), while any
   * is out of range; absent when none is.
   */
  outOfRange?: SimRangeAlarm[];
}

export interface SimRangeAlarm {
  device: string;
  /** The SunSpec point (`203.W`) or custom point name. */
  point: string;
  /** What the physics asked for; null when not a finite number. */
  value: number | null;
  /** What the register shows instead; null: not implemented. */
  shown: number | null;
  sinceMs: number;
}

export interface SimulatorApi {
  'simulator/state': { request: Record<string, never>; response: SimulatorState };
  'simulator/grid': { request: { available: boolean }; response: SimulatorState };
  'simulator/weather': { request: { weather: SimWeather }; response: SimulatorState };
}

export const simulatorSchemas: { [K in keyof SimulatorApi]: z.ZodType<SimulatorApi[K]['request']> } = {
  'simulator/state': z.object({}).strict(),
  'simulator/grid': z.object({ available: z.boolean() }).strict(),
  'simulator/weather': z.object({ weather: z.enum(simWeathers) }).strict(),
};

export type SimulatorEvents = Record<never, never>;
export const simulatorEventNames = [] as const;

/** Who may make each simulator call (see access.ts). */
export const simulatorAccess: { [K in keyof SimulatorApi]: CallAccess } = {
  'simulator/state': reads(),
  'simulator/grid': changes('operator'),
  'simulator/weather': changes('operator'),
};
