// Each platform preset from the review, demonstrated on the demo village: members' metered net
// energy for one interval becomes orders under the preset, and the clearing shows the platform's
// mechanism as the paper describes it.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  clearMarket,
  marketNetwork,
  marketPresets,
  monthFraction,
  ordersFromMeteredEnergy,
  parseClearInput,
  presetIds,
  priceFrom,
  settleMembers,
  type ClearInput,
  type ClearResult,
  type MeteredMember,
  type PresetId,
} from '../../../../shared/market/index.ts';
import { demoSitePath } from '../../../fixtures/paths.ts';

interface DemoMember {
  id: string;
  category: string;
  priorityTier: number;
  bus: string;
  pvKWp: number;
  profile: string;
  annualConsumptionKWh: number;
}
interface DemoSite {
  topology: {
    root: string;
    branches: Array<{ id: string; from: string; to: string; ratingKVA: number; lengthM?: number }>;
  };
  members: DemoMember[];
}

const site = JSON.parse(readFileSync(demoSitePath, 'utf8')) as DemoSite;
const interval = { start: '2026-06-01T12:00:00Z', minutes: 15 };
const tariff = { importPrice: 0.26, exportPrice: 0.06 };
const hours = interval.minutes / 60;

/** Load at this hour relative to the yearly average, by profile. */
const loadFactor: Record<string, number> = {
  clinic: 1.6,
  school: 1.8,
  'water-pump': 1.5,
  shop: 1.4,
  'household-day': 1.2,
  'household-evening': 0.6,
  'household-flat': 1.0,
  none: 0,
};

const producers = site.members.filter((m) => m.pvKWp > 0);
const feeder = (bus: string) => bus.split('-')[0];

/** Net energy of each member for the interval: PV at `sun` of its peak less its load. */
function village(sun: number): MeteredMember[] {
  return site.members.map((m, i) => {
    const netKWh =
      m.pvKWp * sun * hours - (m.annualConsumptionKWh / 8760) * hours * (loadFactor[m.profile] ?? 1);
    const member: MeteredMember = {
      id: m.id,
      category: m.category,
      priorityTier: m.priorityTier,
      bus: m.bus,
      netKWh,
    };
    if (m.pvKWp > 0) {
      member.energyType = m.category === 'community' ? 'solar-farm' : 'solar';
      member.offerPricePerKWh = Math.round((0.07 + (i % 7) * 0.01) * 100) / 100;
    }
    // Half the members choose up to ten producers, those on their own feeder first.
    if (i % 2) return member;
    const ranked = producers
      .filter((p) => p.id !== m.id)
      .sort(
        (a, b) =>
          Number(feeder(b.bus) === feeder(m.bus)) - Number(feeder(a.bus) === feeder(m.bus)) ||
          (a.id < b.id ? -1 : 1),
      );
    member.preferences = { producers: ranked.slice(0, 10).map((p) => p.id) };
    return member;
  });
}

function clearPreset(
  preset: PresetId,
  sun: number,
  extra: Partial<Parameters<typeof ordersFromMeteredEnergy>[0]> = {},
) {
  const input = ordersFromMeteredEnergy({
    members: village(sun),
    preset,
    tariff,
    interval,
    network: marketNetwork(site.topology),
    roster: site.members.map((m) => m.id),
    ...extra,
  });
  const checked = parseClearInput(input);
  expect(checked.ok, checked.ok ? '' : JSON.stringify(checked.problems)).toBe(true);
  const result = clearMarket(input);
  expectSound(input, result);
  return { input, result, orders: new Map(input.orders.map((o) => [o.id, o])) };
}

function expectSound(input: ClearInput, result: ClearResult): void {
  const orders = new Map(input.orders.map((o) => [o.id, o]));
  expect(result.trades.length).toBeGreaterThan(0);
  for (const t of result.trades) {
    expect(t.price).toBeGreaterThanOrEqual(orders.get(t.sellOrder)!.price - 1e-12);
    expect(t.price).toBeLessThanOrEqual(orders.get(t.buyOrder)!.price + 1e-12);
  }
  for (const b of result.branches)
    if (b.limitKWh !== null) expect(Math.abs(b.energyKWh)).toBeLessThanOrEqual(b.limitKWh + 1e-9);
}

const monthlyShare = (perMonth: number) =>
  perMonth * monthFraction(interval.start, interval.minutes) * site.members.length;

describe('platform presets on the demo village', () => {
  it('has one preset per platform in the review, each quoting it', () => {
    expect(presetIds).toEqual([
      'piclo',
      'vandebron',
      'sonnen',
      'suncontract',
      'brooklyn',
      'powerledger',
      'powerpeers',
      'brazil-community',
    ]);
    for (const id of presetIds) {
      expect(marketPresets[id].id).toBe(id);
      expect(marketPresets[id].description).toMatch(/"/);
    }
  });

  it('piclo: matches demand to close-by generators at the producers’ prices, with DUoS by distance', () => {
    const { result, orders } = clearPreset('piclo', 0.5);
    expect(result.mechanism).toBe('price-match');
    for (const t of result.trades) expect(t.price).toBe(orders.get(t.sellOrder)!.price);
    // Nearest first: most energy stays on the buyer's own feeder.
    const bus = (id: string) => orders.get(id)!.bus!;
    const sameFeeder = result.trades.filter((t) => feeder(bus(t.sellOrder)) === feeder(bus(t.buyOrder)));
    expect(sameFeeder.reduce((s, t) => s + t.energyKWh, 0)).toBeGreaterThan(result.localKWh / 2);
    expect(result.fees.network).toBeGreaterThan(0.01 * result.localKWh);
    expect(result.fees.community).toBe(0);
  });

  it('vandebron: customers select their producer, who sets the price; a flat monthly fee', () => {
    const { result, orders } = clearPreset('vandebron', 0.5);
    expect(result.mechanism).toBe('price-match');
    expect(result.trades.length).toBeGreaterThan(0);
    for (const t of result.trades) {
      expect(t.price).toBe(orders.get(t.sellOrder)!.price);
      expect(orders.get(t.buyOrder)!.preferences?.producers).toContain(t.seller);
    }
    expect(result.fees.community).toBeCloseTo(monthlyShare(12), 12);
    expect(result.grid.available).toBe(true);
  });

  it('sonnen: a community pool at 23 cents per kWh, EUR 19.99 a month and no transaction fees', () => {
    const { result } = clearPreset('sonnen', 0.6);
    expect(result.mechanism).toBe('community');
    expect(new Set(result.trades.map((t) => t.price))).toEqual(new Set([0.23]));
    expect(result.fees).toEqual({
      network: 0,
      community: expect.closeTo(monthlyShare(19.99), 12) as number,
      distributionOperator: 0,
      total: expect.closeTo(monthlyShare(19.99), 12) as number,
    });
  });

  it('suncontract: a double auction in which each buyer pays its bid, at the optimal allocation', () => {
    const { input, result, orders } = clearPreset('suncontract', 0.5);
    expect(result.mechanism).toBe('pay-as-bid');
    for (const t of result.trades) expect(t.price).toBe(orders.get(t.buyOrder)!.price);
    expect(result.welfare).toBeCloseTo(clearMarket({ ...input, mechanism: 'uniform' }).welfare, 12);
  });

  it('brooklyn: essential loads get energy first at a fixed rate; the rest bid, pay-as-bid', () => {
    // A hazy interval: too little sun for everyone.
    const { input, result, orders } = clearPreset('brooklyn', 0.15);
    const rate = priceFrom(marketPresets.brooklyn.fixedRate!.price, tariff);
    const essential = input.orders.filter((o) => o.category === 'essential' && o.side === 'buy');
    expect(essential.length).toBeGreaterThan(0);
    for (const load of essential) {
      const served = result.trades.filter((t) => t.buyOrder === load.id);
      expect(served.reduce((s, t) => s + t.energyKWh, 0)).toBeCloseTo(load.energyKWh, 9);
      for (const t of served) expect(t.price).toBeCloseTo(rate, 12);
    }
    const rest = result.trades.filter((t) => orders.get(t.buyOrder)!.category !== 'essential');
    for (const t of rest) expect(t.price).toBe(orders.get(t.buyOrder)!.price);
    // A plain auction would not serve them all: households bid more.
    const plain = clearMarket({ ...input, mechanism: 'uniform' });
    const plainEssential = plain.trades.filter((t) => essential.some((o) => o.id === t.buyOrder));
    expect(plainEssential.reduce((s, t) => s + t.energyKWh, 0)).toBeLessThan(
      essential.reduce((s, o) => s + o.energyKWh, 0),
    );
  });

  it('powerledger: peers trade at their prices, the pool takes the rest, and the DSO gets its share', () => {
    const { result } = clearPreset('powerledger', 0.5);
    expect(result.mechanism).toBe('hybrid');
    const value = result.trades.reduce((s, t) => s + t.price * t.energyKWh, 0);
    expect(result.fees.distributionOperator).toBeCloseTo(0.1 * value, 12);
  });

  it('powerpeers: up to ten chosen sources, then the community pool, with network and monthly fees', () => {
    const { result, orders } = clearPreset('powerpeers', 0.5);
    expect(result.mechanism).toBe('hybrid');
    const pool = priceFrom(marketPresets.powerpeers.community!.price, tariff);
    const bilateral = result.trades.filter((t) => t.price === orders.get(t.sellOrder)!.price);
    expect(bilateral.length).toBeGreaterThan(0);
    for (const t of bilateral) expect(orders.get(t.buyOrder)!.preferences!.producers).toContain(t.seller);
    for (const o of orders.values()) expect(o.preferences?.producers?.length ?? 0).toBeLessThanOrEqual(10);
    expect(result.trades.some((t) => t.price === pool)).toBe(true);
    expect(result.fees.network).toBeCloseTo(0.02 * result.localKWh, 12);
    expect(result.fees.community).toBeCloseTo(monthlyShare(5), 12);
  });

  it('brazil-community: an isolated community pool shares scarce energy equally', () => {
    // Dawn: the pool holds far less than the village needs.
    const { input, result } = clearPreset('brazil-community', 0.02);
    expect(result.grid.available).toBe(false);
    expect(result.grid.importKWh).toBe(0);
    expect(result.grid.unservedKWh).toBeGreaterThan(0);
    const price = priceFrom(marketPresets['brazil-community'].community!.price, tariff);
    expect(new Set(result.trades.map((t) => t.price))).toEqual(new Set([price]));
    // Equal shares: every buyer left short received the same energy.
    const short = settleMembers(input, result).filter((m) => m.unservedKWh > 1e-9);
    expect(short.length).toBeGreaterThan(1);
    for (const m of short) expect(m.boughtKWh).toBeCloseTo(short[0]!.boughtKWh, 9);
  });

  it('falls back to no grid for any preset while the site is islanded', () => {
    const { result } = clearPreset('sonnen', 0.15, { gridAvailable: false });
    expect(result.grid).toMatchObject({ available: false, importKWh: 0, exportKWh: 0 });
  });
});
