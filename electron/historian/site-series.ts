// Which stored series answer for a member, a feeder or the site: a member is its meter (a member
// metered by its own PV inverter reads as a negative import, as the live picture shows it); a
// feeder is its head meter or, without one, the sum of the members it supplies.
import type { SiteFile } from '../../shared/site/schema.ts';
import { buildRadialTree, feederOf } from '../../shared/site/topology.ts';

export type TargetKind = 'member' | 'feeder' | 'device' | 'site';

export interface SeriesSource {
  device: string;
  quantity: string;
  /** −1 where the device counts the other way (a PV inverter metering a member). */
  sign: 1 | -1;
}

/** One curve of a target: a stored series, or the sum of several (an unmetered feeder). */
export interface TargetCurve {
  quantity: string;
  sources: SeriesSource[];
  derived: boolean;
}

export const DEFAULT_QUANTITIES: Record<TargetKind, string[]> = {
  member: ['powerKW', 'energyImportKWh', 'energyExportKWh'],
  feeder: ['powerKW'],
  site: ['powerKW', 'energyImportKWh', 'energyExportKWh'],
  device: [],
};

export class TargetLookupError extends Error {
  override name = 'TargetLookupError';
}

export function memberSource(site: SiteFile, memberId: string, quantity: string): SeriesSource | null {
  const member = site.members.find((m) => m.id === memberId);
  if (!member) throw new TargetLookupError(`no member '${memberId}' in site ${site.site.id}`);
  const meterKind = site.devices.find((d) => d.id === member.meter)?.kind;
  const inverter = meterKind === 'pv-inverter';
  if (inverter && quantity === 'energyImportKWh') return null;
  return { device: member.meter, quantity, sign: inverter && quantity === 'powerKW' ? -1 : 1 };
}

/** Feeders are the branches that leave the root bus. */
export function feeders(site: SiteFile) {
  return site.topology.branches.filter((b) => b.from === site.topology.root);
}

export function feederMembers(site: SiteFile, feederId: string): string[] {
  const { tree } = buildRadialTree(site.topology);
  return site.members.filter((m) => feederOf(tree, m.bus) === feederId).map((m) => m.id);
}

export function targetCurves(
  site: SiteFile,
  kind: TargetKind,
  id: string,
  quantities: string[] | undefined,
  deviceQuantities: (device: string) => string[],
): TargetCurve[] {
  const wanted = quantities?.length ? quantities : DEFAULT_QUANTITIES[kind];
  switch (kind) {
    case 'device': {
      if (!site.devices.some((d) => d.id === id))
        throw new TargetLookupError(`no device '${id}' in site ${site.site.id}`);
      const list = wanted.length ? wanted : deviceQuantities(id);
      return list.map((quantity) => ({
        quantity,
        sources: [{ device: id, quantity, sign: 1 }],
        derived: false,
      }));
    }
    case 'member':
      return wanted.flatMap((quantity) => {
        const source = memberSource(site, id, quantity);
        return source ? [{ quantity, sources: [source], derived: false }] : [];
      });
    case 'site': {
      if (site.grid.kind !== 'connected') return [];
      const meter = site.grid.pcc.meter;
      return wanted.map((quantity) => ({
        quantity,
        sources: [{ device: meter, quantity, sign: 1 }],
        derived: false,
      }));
    }
    case 'feeder': {
      const branch = feeders(site).find((b) => b.id === id);
      if (!branch)
        throw new TargetLookupError(
          `no feeder '${id}' in site ${site.site.id}; feeders are ${feeders(site)
            .map((b) => b.id)
            .join(', ')}`,
        );
      if (branch.meter) {
        const meter = branch.meter;
        return wanted.map((quantity) => ({
          quantity,
          sources: [{ device: meter, quantity, sign: 1 }],
          derived: false,
        }));
      }
      // Without a head meter the feeder carries what its members draw (losses aside).
      const members = feederMembers(site, id);
      return wanted.map((quantity) => ({
        quantity,
        sources: members.flatMap((m) => {
          const s = memberSource(site, m, quantity);
          return s ? [s] : [];
        }),
        derived: true,
      }));
    }
  }
}
