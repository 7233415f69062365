// The site as the ledger remembers it: enough to make statements and KPIs from the ledger alone,
// years later, without the site file that was in force when the intervals were settled.
import type { SiteFile } from '../site/schema.ts';
import type { VirtualStorageSettings } from '../storage/storage-settings.ts';

export interface SiteSnapshot {
  siteId: string;
  name: string;
  timezone: string;
  currency: string;
  preset: string;
  intervalMinutes: number;
  gridCO2KgPerKWh: number;
  capacityKWh: number;
  reserveKWh: number;
  reserveHours: number;
  members: Array<{ id: string; name: string; category: string; priorityTier: number; poolSharePct: number }>;
  allowance: { kWhPerYear: number; paybackPricePerKWh: number } | null;
}

export function siteSnapshot(site: SiteFile, storage: VirtualStorageSettings): SiteSnapshot {
  return {
    siteId: site.site.id,
    name: site.site.name,
    timezone: site.site.timezone,
    currency: site.site.currency,
    preset: site.market.preset,
    intervalMinutes: site.market.intervalMinutes,
    gridCO2KgPerKWh: site.tariff.gridCO2KgPerKWh,
    capacityKWh: storage.capacityKWh,
    reserveKWh: storage.reserveKWh,
    reserveHours: storage.reserveHours,
    members: site.members
      .map((m) => ({
        id: m.id,
        name: m.name,
        category: m.category,
        priorityTier: m.priorityTier,
        poolSharePct: m.poolSharePct,
      }))
      .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)),
    allowance: storage.allowance
      ? { kWhPerYear: storage.allowance.kWhPerYear, paybackPricePerKWh: storage.allowance.paybackPricePerKWh }
      : null,
  };
}
