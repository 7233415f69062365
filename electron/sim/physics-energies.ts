// Interval energies straight from the site physics, as the historian makes them from meters'
// counter deltas: for the scenario runner and for tests that need a month of intervals without
// running Modbus. Each meter's and inverter's energy counter is read at the interval's edges.
import type { IntervalEnergies, IntervalMode } from '../../shared/settlement/interval-energy.ts';
import type { SiteFile } from '../../shared/site/schema.ts';
import type { SitePhysics } from './site-physics.ts';

export interface PhysicsCounters {
  members: Map<string, { importWh: number; exportWh: number }>;
  chargedWh: number;
  dischargedWh: number;
  /** The pool's state of charge by stored energy; 0 for a site without a pool. */
  soc: number;
  pccImportWh: number;
  pccExportWh: number;
}

export function readCounters(physics: SitePhysics): PhysicsCounters {
  const s = physics.state;
  let chargedWh = 0;
  let dischargedWh = 0;
  let storedKWh = 0;
  let capacityKWh = 0;
  for (const b of s.batteries.values()) {
    chargedWh += b.chargedWh;
    dischargedWh += b.dischargedWh;
    storedKWh += b.socFraction * b.capacityKWh;
    capacityKWh += b.capacityKWh;
  }
  return {
    members: new Map([...s.members].map(([id, m]) => [id, { importWh: m.importWh, exportWh: m.exportWh }])),
    chargedWh,
    dischargedWh,
    soc: capacityKWh > 0 ? storedKWh / capacityKWh : 0,
    pccImportWh: s.pccImportWh,
    pccExportWh: s.pccExportWh,
  };
}

/** The energies of [startMs, startMs + minutes) from the counters read at its start and end. */
export function energiesBetween(
  site: SiteFile,
  physics: SitePhysics,
  startMs: number,
  minutes: number,
  mode: IntervalMode,
  from: PhysicsCounters,
  to: PhysicsCounters,
): IntervalEnergies {
  const capacityKWh = [...physics.state.batteries.values()].reduce((sum, b) => sum + b.capacityKWh, 0);
  return {
    siteId: site.site.id,
    startMs,
    minutes,
    mode,
    members: site.members.map((m) => {
      const a = from.members.get(m.id) ?? { importWh: 0, exportWh: 0 };
      const b = to.members.get(m.id) ?? a;
      return {
        member: m.id,
        importKWh: (b.importWh - a.importWh) / 1000,
        exportKWh: (b.exportWh - a.exportWh) / 1000,
        complete: true,
      };
    }),
    pool: {
      chargedKWh: (to.chargedWh - from.chargedWh) / 1000,
      dischargedKWh: (to.dischargedWh - from.dischargedWh) / 1000,
      socStart: from.soc,
      socEnd: to.soc,
      capacityKWh,
    },
    pcc: {
      importKWh: (to.pccImportWh - from.pccImportWh) / 1000,
      exportKWh: (to.pccExportWh - from.pccExportWh) / 1000,
    },
    complete: true,
  };
}
