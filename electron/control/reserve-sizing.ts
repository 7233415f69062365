// The essential reserve: the energy the pool keeps for the essential loads (tier 0), sized from
// their forecast consumption over the next `reserveHours`, and the load forecast per tier that
// shedding and black start use to judge whether a tier fits. The forecast is the members' load
// profiles (the same shapes the simulator draws its loads from).
import { profilePowerKW } from '../../shared/site/load-profiles.ts';
import type { Member, SiteFile } from '../../shared/site/schema.ts';
import { LocalClock } from '../../shared/time/zone.ts';
import { MS_PER_HOUR } from '../../shared/units.ts';

/** Battery round trip out of the pool: what the inverter loses on the way to the loads. */
const DISCHARGE_EFFICIENCY = 0.95;
const ESSENTIAL_TIER = 0;

export function hasLoad(member: Member): boolean {
  return member.profile !== 'none' && member.annualConsumptionKWh > 0;
}

export function essentialMembers(site: SiteFile): Member[] {
  return site.members.filter((m) => m.priorityTier === ESSENTIAL_TIER && hasLoad(m));
}

export function poolCapacityKWh(site: SiteFile): number {
  return (site.batteryPool?.inverters ?? []).reduce(
    (sum, id) => sum + (site.devices.find((d) => d.id === id)?.capacityKWh ?? 0),
    0,
  );
}

export class LoadForecast {
  private readonly clock: LocalClock;

  constructor(private readonly site: SiteFile) {
    this.clock = new LocalClock(site.site.timezone);
  }

  /** Mean power of `members` at `timeMs`, kW. */
  powerKW(members: readonly Member[], timeMs: number): number {
    const hour = this.clock.hourOfDay(timeMs);
    return members.reduce((sum, m) => sum + profilePowerKW(m.profile, m.annualConsumptionKWh, hour), 0);
  }

  /** Energy `members` draw from `fromMs` over `hours`, kWh (quarter-hour steps). */
  energyKWh(members: readonly Member[], fromMs: number, hours: number): number {
    const steps = Math.max(1, Math.round(hours * 4));
    let kWh = 0;
    for (let i = 0; i < steps; i++)
      kWh += this.powerKW(members, fromMs + (i + 0.5) * (hours / steps) * MS_PER_HOUR) * (hours / steps);
    return kWh;
  }

  /** The reserve for the essential loads from `fromMs`: kWh at the AC side, and as pool SoC above `floorSoC`. */
  essentialReserve(
    fromMs: number,
    hours: number,
    floorSoC: number,
    margin = 1,
  ): { kWh: number; soc: number } {
    const kWh = this.energyKWh(essentialMembers(this.site), fromMs, hours) * margin;
    const capacity = poolCapacityKWh(this.site);
    const soc = capacity > 0 ? floorSoC + kWh / DISCHARGE_EFFICIENCY / capacity : 1;
    return { kWh, soc: Math.min(1, soc) };
  }
}
