// What the virtual storage needs to know about a site: the pool's capacity, each member's share of
// it, the islanding reserve that is never allocated, and the optional yearly allowance. Read from
// the site file: members[].poolSharePct, batteryPool.reserveHours, the pool inverters' capacityKWh,
// and the optional `market.virtualStorage` block (declared with the site format in shared/site/schema.ts).
import { virtualStorageSettingsSchema, type SiteFile } from '../site/schema.ts';
import { problemsFromZod, formatProblems } from '../validation/problems.ts';

export interface VirtualStorageSettings {
  /** Nameplate energy of the pool (Σ of its inverters' capacityKWh). */
  capacityKWh: number;
  reserveHours: number;
  /** Forecast mean consumption of the essential members (kW). */
  essentialForecastKW: number;
  /** Energy kept for islanding: reserveHours × essentialForecastKW, never allocated to an account. */
  reserveKWh: number;
  /** Each member's fraction (0..1) of the allocatable energy (capacity − reserve). */
  shares: ReadonlyMap<string, number>;
  essentialMembers: ReadonlySet<string>;
  priorityTiers: ReadonlyMap<string, number>;
  allowance: { kWhPerYear: number; paybackPricePerKWh: number; members: ReadonlySet<string> } | null;
  oneWayEfficiency: number;
}

export class StorageSettingsError extends Error {
  override name = 'StorageSettingsError';
}

/**
 * The essential members' forecast is their mean power from annualConsumptionKWh: the reserve must
 * hold through any hours of the day, so a mean is the honest figure without a day-ahead forecast.
 */
export function storageSettings(site: SiteFile): VirtualStorageSettings {
  const raw = (site.market as Record<string, unknown>).virtualStorage ?? {};
  const parsed = virtualStorageSettingsSchema.safeParse(raw);
  if (!parsed.success) {
    const problems = problemsFromZod(parsed.error).map((p) => ({
      path: `market.virtualStorage${p.path ? `.${p.path}` : ''}`,
      message: p.message,
    }));
    throw new StorageSettingsError(`site file: ${formatProblems(problems)}`);
  }
  const options = parsed.data;
  const inverters = new Set(site.batteryPool?.inverters ?? []);
  const capacityKWh = site.devices
    .filter((d) => inverters.has(d.id))
    .reduce((sum, d) => sum + (d.capacityKWh ?? 0), 0);
  const reserveHours = site.batteryPool?.reserveHours ?? 0;
  // Essential as the controller sizes its reserve: priority tier 0, members that draw a load.
  const essential = site.members.filter(
    (m) => m.priorityTier === 0 && m.profile !== 'none' && m.annualConsumptionKWh > 0,
  );
  const essentialForecastKW = essential.reduce((sum, m) => sum + m.annualConsumptionKWh / 8760, 0);
  const reserveKWh = Math.min(capacityKWh, reserveHours * essentialForecastKW);
  const shares = new Map<string, number>();
  for (const m of site.members) if (m.poolSharePct > 0) shares.set(m.id, m.poolSharePct / 100);
  const allowance = options.allowance
    ? {
        kWhPerYear: options.allowance.kWhPerYear,
        paybackPricePerKWh: options.allowance.paybackPricePerKWh,
        members: new Set(
          site.members
            .filter((m) => options.allowance!.includeMembersWithoutShare || m.poolSharePct > 0)
            .map((m) => m.id),
        ),
      }
    : null;
  return {
    capacityKWh,
    reserveHours,
    essentialForecastKW,
    reserveKWh,
    shares,
    essentialMembers: new Set(essential.map((m) => m.id)),
    priorityTiers: new Map(site.members.map((m) => [m.id, m.priorityTier])),
    allowance,
    oneWayEfficiency: options.oneWayEfficiency,
  };
}

/** The most a member's account may hold: its share of what the reserve leaves of the pool. */
export function accountCapacityKWh(
  settings: VirtualStorageSettings,
  member: string,
  capacityKWh: number,
): number {
  const share = settings.shares.get(member) ?? 0;
  return share * Math.max(0, capacityKWh - settings.reserveKWh);
}
