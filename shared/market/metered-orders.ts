// Builds an interval's order file from members' metered net energy under a preset: each member
// with a surplus sells it and each member short of energy buys, at prices the preset derives
// from the interval's grid tariff, so that the console can clear a site that has no bidding.
import type { ClearInput, GridTariff, NetworkInput, Order } from './clear-input.ts';
import { marketPresets, priceFrom, type MarketPreset, type PresetId } from './presets.ts';

export interface MeteredMember {
  id: string;
  category?: string;
  priorityTier?: number;
  bus?: string;
  /** Net energy over the interval: positive is surplus fed in, negative is demand drawn (kWh). */
  netKWh: number;
  /** A producer's own price, used where the preset lets producers set prices. */
  offerPricePerKWh?: number;
  /** The most a member will pay, instead of the preset's bid. */
  bidPricePerKWh?: number;
  energyType?: string;
  preferences?: Order['preferences'];
}

export interface MeteredInterval {
  members: readonly MeteredMember[];
  preset: PresetId | MarketPreset;
  /** The grid prices in force for the interval (see tariffAt); also the reference when islanded. */
  tariff: GridTariff;
  interval: ClearInput['interval'];
  /** False while the site is islanded or off-grid: then nothing falls back to the grid. */
  gridAvailable?: boolean;
  network?: NetworkInput;
  /** Every member of the community, for the monthly fee. */
  roster?: string[];
}

/** Below this a meter's net is noise, not an order (kWh). */
const NET_EPSILON_KWH = 1e-6;

export function ordersFromMeteredEnergy(metered: MeteredInterval): ClearInput {
  const preset = typeof metered.preset === 'string' ? marketPresets[metered.preset] : metered.preset;
  const { tariff } = metered;
  const offer = priceFrom(preset.pricing.offer, tariff);
  const bid = priceFrom(preset.pricing.bid, tariff);
  const fixedRate = preset.fixedRate && priceFrom(preset.fixedRate.price, tariff);
  const orders: Order[] = [];
  for (const member of metered.members) {
    if (Math.abs(member.netKWh) < NET_EPSILON_KWH) continue;
    const side = member.netKWh > 0 ? 'sell' : 'buy';
    const order: Order = {
      id: `${member.id}/${side}`,
      member: member.id,
      side,
      energyKWh: Math.abs(member.netKWh),
      price: 0,
    };
    if (member.bus !== undefined) order.bus = member.bus;
    if (member.category !== undefined) order.category = member.category;
    if (member.priorityTier !== undefined) order.priorityTier = member.priorityTier;
    if (side === 'sell') {
      order.price = preset.pricing.producersSetPrices ? (member.offerPricePerKWh ?? offer) : offer;
      if (member.energyType !== undefined) order.energyType = member.energyType;
    } else {
      order.price = member.bidPricePerKWh ?? bid;
      // Designated loads always accept their fixed rate: that is the point of it.
      const designated =
        fixedRate !== undefined &&
        member.category !== undefined &&
        preset.fixedRate!.categories.includes(member.category);
      if (designated) order.price = Math.max(order.price, fixedRate);
      const preferences = buyerPreferences(preset, member);
      if (preferences) order.preferences = preferences;
    }
    orders.push(order);
  }

  const input: ClearInput = { mechanism: preset.mechanism, interval: metered.interval, orders };
  if (preset.fallback === 'grid' && metered.gridAvailable !== false) input.grid = tariff;
  if (metered.network) input.network = metered.network;
  if (preset.fixedRate && fixedRate !== undefined)
    input.fixedRate = {
      price: fixedRate,
      categories: preset.fixedRate.categories,
      rest: preset.fixedRate.rest,
    };
  if (preset.community)
    input.community = { price: priceFrom(preset.community.price, tariff), sharing: preset.community.sharing };
  if (preset.hybridRest) input.hybrid = { rest: preset.hybridRest };
  if (Object.keys(preset.fees).length) input.fees = preset.fees;
  if (metered.roster) input.members = metered.roster;
  return input;
}

function buyerPreferences(preset: MarketPreset, member: MeteredMember): Order['preferences'] {
  switch (preset.preferences.kind) {
    case 'none':
      return undefined;
    case 'member-lists':
      return member.preferences;
    case 'nearest':
      return member.preferences ?? { maxDistanceKm: preset.preferences.radiusKm };
  }
}

/**
 * The market's view of a site's radial topology: branch ratings as capacities and lengths in km.
 * kVA is taken as kW, which holds at unity power factor; where reactive power flows the real
 * limit is lower, and the site file should then rate the branch lower.
 */
export function marketNetwork(topology: {
  root: string;
  branches: ReadonlyArray<{ id: string; from: string; to: string; ratingKVA: number; lengthM?: number }>;
}): NetworkInput {
  return {
    root: topology.root,
    branches: topology.branches.map((b) => ({
      id: b.id,
      from: b.from,
      to: b.to,
      capacityKW: b.ratingKVA,
      ...(b.lengthM === undefined ? {} : { lengthKm: b.lengthM / 1000 }),
    })),
  };
}
