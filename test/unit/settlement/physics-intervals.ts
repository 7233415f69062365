// Interval energies from the site physics, as the historian would make them from counter deltas:
// steps SitePhysics (coarsely, for speed) and takes the difference of each meter's and inverter's
// energy counters over every interval. Islanding windows open the breaker and put the pool's
// inverters in grid-forming mode, as the control engine would.
import type { IntervalEnergies, IntervalMode } from '../../../shared/settlement/interval-energy.ts';
import type { SiteFile } from '../../../shared/site/schema.ts';
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

interface Counters {
  members: Map<string, { importWh: number; exportWh: number }>;
  chargedWh: number;
  dischargedWh: number;
  soc: number | null;
  pccImportWh: number;
  pccExportWh: number;
}

function read(physics: SitePhysics): Counters {
  const s = physics.state;
  let chargedWh = 0;
  let dischargedWh = 0;
  let energy = 0;
  let capacity = 0;
  for (const b of s.batteries.values()) {
    chargedWh += b.chargedWh;
    dischargedWh += b.dischargedWh;
    energy += b.socFraction * b.capacityKWh;
    capacity += b.capacityKWh;
  }
  return {
    members: new Map([...s.members].map(([id, m]) => [id, { importWh: m.importWh, exportWh: m.exportWh }])),
    chargedWh,
    dischargedWh,
    soc: capacity > 0 ? energy / capacity : null,
    pccImportWh: s.pccImportWh,
    pccExportWh: s.pccExportWh,
  };
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
  const capacityKWh = [...physics.state.batteries.values()].reduce((t, b) => t + b.capacityKWh, 0);
  const islanded = (t: number) => (options.islanded ?? []).some(([a, b]) => t >= a && t < b);
  let before = read(physics);
  for (let i = 0; i < options.intervals; i++) {
    const startMs = options.startMs + i * minutes * 60_000;
    const day = Math.floor((startMs - options.startMs) / 86_400_000);
    physics.state.weather = options.weather?.(day) ?? 'clear';
    const island = islanded(startMs);
    physics.setBreaker(!island);
    for (const b of physics.state.batteries.values()) b.mode = island ? 'grid-forming' : 'self-consumption';
    for (let k = 0; k < stepsPerInterval; k++) physics.step(step);
    const after = read(physics);
    const mode: IntervalMode = island ? (physics.state.blackout ? 'blackout' : 'islanded') : 'grid-connected';
    yield {
      siteId: site.site.id,
      startMs,
      minutes,
      mode,
      members: site.members.map((m) => ({
        member: m.id,
        importKWh: (after.members.get(m.id)!.importWh - before.members.get(m.id)!.importWh) / 1000,
        exportKWh: (after.members.get(m.id)!.exportWh - before.members.get(m.id)!.exportWh) / 1000,
        complete: true,
      })),
      pool: {
        chargedKWh: (after.chargedWh - before.chargedWh) / 1000,
        dischargedKWh: (after.dischargedWh - before.dischargedWh) / 1000,
        socStart: before.soc,
        socEnd: after.soc,
        capacityKWh,
      },
      pcc: {
        importKWh: (after.pccImportWh - before.pccImportWh) / 1000,
        exportKWh: (after.pccExportWh - before.pccExportWh) / 1000,
      },
      complete: true,
    };
    before = after;
  }
}
