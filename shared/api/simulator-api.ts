// Calls on the built-in simulator, for demonstrations and training on a simulated site: cut or
// restore the grid, change the weather. A console on real devices refuses them.
import { z } from 'zod';

export const simWeathers = ['clear', 'cloudy', 'storm'] as const;
export type SimWeather = (typeof simWeathers)[number];

export interface SimulatorState {
  /** False when the console runs on real devices: every other call is refused. */
  simulated: boolean;
  gridAvailable: boolean | null;
  weather: SimWeather | null;
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
