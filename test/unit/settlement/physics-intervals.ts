// Interval energies from the site physics, as the historian would make them from counter deltas:
// steps SitePhysics (coarsely, for speed) and takes the difference of each meter's and inverter's
// energy counters over every interval. Islanding windows open the breaker and put the pool's
// inverters in grid-forming mode, as the control engine would.
import type { IntervalEnergies, IntervalMode } from '../../../shared/settlement/interval-energy.ts';
import type { SiteFile } from '../../../shared/site/schema.ts';
import { energiesBetween, readCounters } from '../../../electron/sim/physics-energies.ts';
import { SitePhysics, type Weather } from '../../../electron/sim/site-physics.ts';

export interface PhysicsIntervalOptions {
  startMs: number;
  intervals: number;
  minutes?: number;
  stepSeconds?: number;
  seed?: number;
  weather?: (dayIndex: number) => Weather;
  /** [fromMs, toMs) windows in which the site is islanded. */
  islanded?: Array<[number, number]>;
}

/** Yields each interval's energies in order; the physics runs lazily, so a consumer may stop early. */
export function* physicsIntervals(
  site: SiteFile,
  options: PhysicsIntervalOptions,
): Generator<IntervalEnergies> {
  const minutes = options.minutes ?? 15;
  const step = options.stepSeconds ?? 10;
  const stepsPerInterval = Math.round((minutes * 60) / step);
  const physics = new SitePhysics(site, options.startMs, { seed: options.seed ?? 7, weather: 'clear' });
  const islanded = (t: number) => (options.islanded ?? []).some(([a, b]) => t >= a && t < b);
  let before = readCounters(physics);
  for (let i = 0; i < options.intervals; i++) {
    const startMs = options.startMs + i * minutes * 60_000;
    const day = Math.floor((startMs - options.startMs) / 86_400_000);
    physics.state.weather = options.weather?.(day) ?? 'clear';
    const island = islanded(startMs);
    physics.setBreaker(!island);
    for (const b of physics.state.batteries.values()) b.mode = island ? 'grid-forming' : 'self-consumption';
    for (let k = 0; k < stepsPerInterval; k++) physics.step(step);
    const after = readCounters(physics);
    const mode: IntervalMode = island ? (physics.state.blackout ? 'blackout' : 'islanded') : 'grid-connected';
    yield energiesBetween(site, physics, startMs, minutes, mode, before, after);
    before = after;
  }
}
