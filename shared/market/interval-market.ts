// One settlement interval's market, the one recipe the live preview and settlement both run, so the
// console never shows one clearing and bills another: members' metered net energy moves through
// the virtual storage first (the pool's charge and discharge attributed to members' surplus and
// deficit), what is left becomes orders under the site's market settings, and the market clears
// them with the grid as fallback exactly when the controller ran the site grid-connected.
import type { Member, SiteFile } from '../site/schema.ts';
import type { IntervalEnergies, IntervalMode } from '../settlement/interval-energy.ts';
import { siteMarket } from '../settlement/site-market.ts';
import { storageSettings, type VirtualStorageSettings } from '../storage/storage-settings.ts';
import { settlePool, type PoolSettlement, type StorageState } from '../storage/virtual-storage.ts';
import { isoInZone } from '../time/zone.ts';
import type { ClearInput, GridTariff, NetworkInput } from './clear-input.ts';
import { clearMarket, type ClearResult } from './clear.ts';
import { tariffAt } from './grid-fallback.ts';
import { settleMembers, type MemberSettlement } from './member-settlement.ts';
import { marketNetwork, ordersFromMeteredEnergy, type MeteredMember } from './metered-orders.ts';
import { priceFrom } from './presets.ts';
import { designateFixedRate, withStandingTerms, type EffectiveMarket } from './site-settings.ts';

/** What the interval market needs from the site, built once per site (or settings change). */
export interface IntervalMarketSetup {
  site: SiteFile;
  /** The site's market settings in effect (preset with overrides, standing terms, designations). */
  market: EffectiveMarket;
  storage: VirtualStorageSettings;
  network: NetworkInput;
  /** Every member's id, sorted: the order members' orders are built in, and the monthly fee's roster. */
  roster: string[];
  members: ReadonlyMap<string, Member>;
}

export function intervalMarketSetup(
  site: SiteFile,
  market: EffectiveMarket = siteMarket(site),
): IntervalMarketSetup {
  return {
    site,
    market,
    storage: storageSettings(site),
    network: marketNetwork(site.topology),
    roster: site.members.map((m) => m.id).sort(),
    members: new Map(site.members.map((m) => [m.id, m])),
  };
}

/** The battery pool over the interval at its AC terminals (kWh), as IntervalEnergies carries it. */
export type PoolEnergies = IntervalEnergies['pool'];

export const IDLE_POOL: PoolEnergies = {
  chargedKWh: 0,
  dischargedKWh: 0,
  socStart: null,
  socEnd: null,
  capacityKWh: 0,
};

export interface IntervalMarketRequest {
  startMs: number;
  minutes: number;
  /** How the controller ran the site during the interval; only 'grid-connected' has a grid. */
  mode: IntervalMode;
  /** Each metered member's net energy over the interval, export − import (kWh); absent: not metered. */
  netKWh: ReadonlyMap<string, number>;
  pool: PoolEnergies;
  /** The virtual storage as the last settled interval left it (null before the first). */
  storage: StorageState | null;
}

export interface IntervalMarket {
  tariff: GridTariff;
  gridAvailable: boolean;
  /** The community pool's price for the interval (currency/kWh). */
  poolPricePerKWh: number;
  /** Members' net surplus and deficit before the pool (kWh > 0 only). */
  surplusKWh: Map<string, number>;
  deficitKWh: Map<string, number>;
  /** The virtual-storage step: who fed and drew the pool, and the storage state after it. */
  pool: PoolSettlement;
  /** The order book left after the pool, and its clearing. */
  input: ClearInput;
  result: ClearResult;
  /** What each member traded, imported, exported and paid in the market, by member id. */
  members: Map<string, MemberSettlement>;
}

/** A net below this is metering noise: neither a surplus nor a deficit (kWh). */
const EPSILON_KWH = 1e-9;

export function intervalMarket(setup: IntervalMarketSetup, request: IntervalMarketRequest): IntervalMarket {
  const { site, market } = setup;
  const timeZone = site.site.timezone;
  const tariff = tariffAt({ periods: site.tariff.periods }, request.startMs, timeZone);
  const gridAvailable = request.mode === 'grid-connected';
  const preset = market.preset;
  const poolPricePerKWh = priceFrom(preset.community?.price ?? { gridSpreadFraction: 0.5 }, tariff);

  // The roster first, in id order, then anyone metered the site no longer lists: the order of the
  // orders decides ties in clearing, so both callers must build them in the same order.
  const ids = [...setup.roster, ...[...request.netKWh.keys()].filter((id) => !setup.members.has(id)).sort()];
  const surplusKWh = new Map<string, number>();
  const deficitKWh = new Map<string, number>();
  for (const id of ids) {
    const net = request.netKWh.get(id) ?? 0;
    if (net > EPSILON_KWH) surplusKWh.set(id, net);
    else if (net < -EPSILON_KWH) deficitKWh.set(id, -net);
  }

  const pool = settlePool(setup.storage, request.storage, {
    mode: request.mode,
    chargedKWh: request.pool.chargedKWh,
    dischargedKWh: request.pool.dischargedKWh,
    socStart: request.pool.socStart,
    socEnd: request.pool.socEnd,
    capacityKWh: request.pool.capacityKWh,
    surplusKWh,
    deficitKWh,
  });

  // The market clears what the pool did not take or supply.
  const metered: MeteredMember[] = ids.map((id) => {
    const flow = pool.members.get(id);
    const netKWh =
      (surplusKWh.get(id) ?? 0) -
      (flow?.intoPoolKWh ?? 0) -
      ((deficitKWh.get(id) ?? 0) - (flow?.fromPoolKWh ?? 0));
    const member = setup.members.get(id);
    return member
      ? { id, netKWh, category: member.category, priorityTier: member.priorityTier, bus: member.bus }
      : { id, netKWh };
  });
  // A grid-connected interval exchanged energy with the grid whatever the preset's fallback:
  // someone pays the supplier for it, so it clears against the grid.
  const marketPreset =
    gridAvailable && preset.fallback === 'none' ? { ...preset, fallback: 'grid' as const } : preset;
  const input = ordersFromMeteredEnergy({
    members: withStandingTerms(market, metered),
    preset: marketPreset,
    tariff,
    interval: { start: isoInZone(request.startMs, timeZone), minutes: request.minutes },
    gridAvailable,
    network: setup.network,
    roster: setup.roster,
  });
  designateFixedRate(input, market.designatedMembers);
  const result = clearMarket(input);
  const members = new Map(settleMembers(input, result).map((s) => [s.member, s]));
  return { tariff, gridAvailable, poolPricePerKWh, surplusKWh, deficitKWh, pool, input, result, members };
}
