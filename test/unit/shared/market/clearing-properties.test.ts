// Properties every clearing must have, on seeded random order books and networks: energy and
// money conserved, every trade within its offer and bid, uniform prices within the accepted
// range, branch limits respected, and results independent of the order of the input.
import { describe, expect, it } from 'vitest';
import {
  clearMarket,
  parseClearInput,
  settleMembers,
  type ClearInput,
  type ClearResult,
  type Mechanism,
} from '../../../../shared/market/index.ts';
import { prng, randomMarket, shuffled } from '../../../fixtures/random-market.ts';

const TOLERANCE = 1e-9;

/** A random instance dressed for `mechanism`: categories, tiers, preferences, pool and fees. */
function instance(seed: number, mechanism: Mechanism, buses: number, tight: boolean): ClearInput {
  const input = randomMarket(seed, { orders: 20 + (seed % 7) * 15, buses, mechanism, tight });
  const random = prng(seed * 7919);
  const producers = [...new Set(input.orders.filter((o) => o.side === 'sell').map((o) => o.member))];
  for (const order of input.orders) {
    if (order.side === 'sell') {
      if (random() < 0.7) order.energyType = random() < 0.6 ? 'solar' : 'wind';
    } else {
      if (random() < 0.2) order.category = 'essential';
      if (random() < 0.7) order.priorityTier = Math.floor(random() * 3);
      const r = random();
      if (r < 0.3)
        order.preferences = { producers: shuffled(producers, seed + order.id.length).slice(0, 10) };
      else if (r < 0.5) order.preferences = { energyTypes: ['solar'], maxDistanceKm: random() * 3 };
      else if (r < 0.6) order.preferences = { producers: producers.slice(0, 2), energyTypes: ['wind'] };
    }
  }
  input.fixedRate = { price: 0.15, categories: ['essential'], rest: seed % 2 ? 'uniform' : 'pay-as-bid' };
  input.community = { price: 0.14, sharing: (['pro-rata', 'priority', 'equal'] as const)[seed % 3] };
  input.hybrid = { rest: seed % 2 ? 'pay-as-bid' : 'uniform' };
  input.fees = {
    networkPerKWh: 0.01,
    networkPerKWhPerKm: 0.002,
    communityPerKWh: 0.005,
    communityPerMonth: 4.99,
    dsoShare: 0.05,
    payer: (['buyer', 'seller', 'split'] as const)[seed % 3],
  };
  return input;
}

function checkProperties(input: ClearInput, result: ClearResult): void {
  const orders = new Map(input.orders.map((o) => [o.id, o]));
  const traded = new Map<string, number>();
  let local = 0;
  let welfare = 0;
  for (const t of result.trades) {
    const sell = orders.get(t.sellOrder)!;
    const buy = orders.get(t.buyOrder)!;
    expect(sell.side).toBe('sell');
    expect(buy.side).toBe('buy');
    expect(t.seller).toBe(sell.member);
    expect(t.buyer).toBe(buy.member);
    expect(t.energyKWh).toBeGreaterThan(0);
    // No buyer pays above its bid, no seller receives below its offer.
    expect(t.price).toBeGreaterThanOrEqual(sell.price - TOLERANCE);
    expect(t.price).toBeLessThanOrEqual(buy.price + TOLERANCE);
    traded.set(sell.id, (traded.get(sell.id) ?? 0) + t.energyKWh);
    traded.set(buy.id, (traded.get(buy.id) ?? 0) + t.energyKWh);
    local += t.energyKWh;
    welfare += (buy.price - sell.price) * t.energyKWh;
  }
  for (const [id, kwh] of traded) expect(kwh).toBeLessThanOrEqual(orders.get(id)!.energyKWh + TOLERANCE);
  expect(result.localKWh).toBeCloseTo(local, 9);
  expect(result.welfare).toBeCloseTo(welfare, 9);

  if (result.mechanism === 'uniform' && result.trades.length) {
    if (result.clearingPrice !== null) {
      const highestOffer = Math.max(...result.trades.map((t) => orders.get(t.sellOrder)!.price));
      const lowestBid = Math.min(...result.trades.map((t) => orders.get(t.buyOrder)!.price));
      expect(result.clearingPrice).toBeGreaterThanOrEqual(highestOffer);
      expect(result.clearingPrice).toBeLessThanOrEqual(lowestBid);
      for (const t of result.trades) expect(t.price).toBe(result.clearingPrice);
    } else {
      expect(result.zones.length).toBeGreaterThan(1);
      const zonePrices = new Set(result.zones.map((z) => z.price));
      for (const t of result.trades) expect(zonePrices.has(t.price)).toBe(true);
    }
  }

  for (const branch of result.branches)
    if (branch.limitKWh !== null)
      expect(Math.abs(branch.energyKWh)).toBeLessThanOrEqual(branch.limitKWh + 1e-7);

  // Energy: every order's energy is traded, exchanged with the grid, or stranded without one.
  const members = settleMembers(input, result);
  const sum = (pick: (m: (typeof members)[number]) => number) => members.reduce((s, m) => s + pick(m), 0);
  const bought = input.orders.filter((o) => o.side === 'buy').reduce((s, o) => s + o.energyKWh, 0);
  const sold = input.orders.filter((o) => o.side === 'sell').reduce((s, o) => s + o.energyKWh, 0);
  expect(sum((m) => m.boughtKWh + m.gridImportKWh + m.unservedKWh)).toBeCloseTo(bought, 6);
  expect(sum((m) => m.soldKWh + m.gridExportKWh + m.curtailedKWh)).toBeCloseTo(sold, 6);
  expect(sum((m) => m.boughtKWh)).toBeCloseTo(
    sum((m) => m.soldKWh),
    9,
  );
  expect(result.grid.importKWh + result.grid.unservedKWh).toBeCloseTo(bought - local, 6);

  // Money: what buyers pay sellers receive; members' net costs are the fees and the grid's bill.
  expect(sum((m) => m.energyCost)).toBeCloseTo(
    sum((m) => m.energyRevenue),
    9,
  );
  expect(sum((m) => m.fees)).toBeCloseTo(result.fees.total, 9);
  expect(sum((m) => m.netCost)).toBeCloseTo(
    result.fees.total + result.grid.importCost - result.grid.exportRevenue,
    9,
  );
}

const mechanisms: Mechanism[] = ['uniform', 'pay-as-bid', 'fixed-rate', 'price-match', 'community', 'hybrid'];

describe('clearing properties on random instances', () => {
  for (const mechanism of mechanisms) {
    for (const [label, buses, tight] of [
      ['without a network', 0, false],
      ['with loose branch limits', 8, false],
      ['with tight branch limits', 12, true],
    ] as const) {
      it(`${mechanism} ${label}`, () => {
        for (let seed = 1; seed <= 30; seed++) {
          const input = instance(seed, mechanism, buses, tight);
          const checked = parseClearInput(input);
          expect(checked.ok, JSON.stringify(checked.ok ? [] : checked.problems)).toBe(true);
          checkProperties(input, clearMarket(input));
        }
      });
    }

    it(`${mechanism} does not depend on the order of the input`, () => {
      for (let seed = 40; seed < 55; seed++) {
        const input = instance(seed, mechanism, 10, seed % 2 === 0);
        const reordered: ClearInput = {
          ...input,
          orders: shuffled(input.orders, seed),
          network: input.network && {
            ...input.network,
            branches: shuffled(input.network.branches, seed + 1),
          },
        };
        expect(clearMarket(reordered)).toEqual(clearMarket(input));
        expect(settleMembers(reordered, clearMarket(reordered))).toEqual(
          settleMembers(input, clearMarket(input)),
        );
      }
    });
  }

  it('keeps the uniform price within the accepted range when limits bind', () => {
    let zonal = 0;
    for (let seed = 200; seed < 260; seed++) {
      const input = randomMarket(seed, { orders: 80, buses: 10, tight: true });
      const result = clearMarket(input);
      if (result.clearingPrice === null && result.trades.length) zonal++;
      checkProperties(input, result);
    }
    // The tight instances must actually exercise zonal pricing.
    expect(zonal).toBeGreaterThan(10);
  });
});
