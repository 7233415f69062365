// Known answers for the staged mechanisms (fixed rate, price match, community pool, hybrid),
// the fees and the time-of-use grid fallback.
import { describe, expect, it } from 'vitest';
import {
  clearMarket,
  monthFraction,
  settleMembers,
  shareSupply,
  tariffAt,
  type ClearInput,
  type Order,
} from '../../../../shared/market/index.ts';

const interval = { start: '2026-06-01T12:00:00Z', minutes: 15 };
const order = (
  id: string,
  member: string,
  side: Order['side'],
  energyKWh: number,
  price: number,
  extra: Partial<Order> = {},
): Order => ({
  id,
  member,
  side,
  energyKWh,
  price,
  ...extra,
});

describe('fixed rate', () => {
  const orders = [
    order('s1', 'pv-1', 'sell', 2, 0.05),
    order('s2', 'pv-2', 'sell', 2, 0.18),
    order('clinic', 'clinic', 'buy', 2, 0.15, { category: 'essential' }),
    order('h1', 'h1', 'buy', 3, 0.3),
  ];

  it('serves essential loads first at the fixed rate, then auctions the rest', () => {
    const result = clearMarket({
      mechanism: 'fixed-rate',
      interval,
      orders,
      fixedRate: { price: 0.15, categories: ['essential'], rest: 'uniform' },
    });
    expect(result.trades).toEqual([
      { sellOrder: 's1', buyOrder: 'clinic', seller: 'pv-1', buyer: 'clinic', energyKWh: 2, price: 0.15 },
      {
        sellOrder: 's2',
        buyOrder: 'h1',
        seller: 'pv-2',
        buyer: 'h1',
        energyKWh: 2,
        price: expect.closeTo(0.24, 12) as number,
      },
    ]);
  });

  it('would leave the clinic unserved in a plain auction', () => {
    const result = clearMarket({ mechanism: 'uniform', interval, orders });
    expect(result.trades.some((t) => t.buyOrder === 'clinic')).toBe(false);
  });

  it('designates members by id as well as by category', () => {
    const result = clearMarket({
      mechanism: 'fixed-rate',
      interval,
      orders: orders.map((o) => ({ ...o, category: undefined })),
      fixedRate: { price: 0.15, members: ['clinic'] },
    });
    expect(result.trades[0]).toMatchObject({ buyOrder: 'clinic', price: 0.15 });
  });
});

describe('price match', () => {
  const orders = [
    order('a', 'producer-a', 'sell', 1, 0.1, { energyType: 'wind', bus: 'far' }),
    order('b', 'producer-b', 'sell', 2, 0.12, { energyType: 'solar', bus: 'near' }),
    order('b1', 'h1', 'buy', 1.5, 0.2, {
      preferences: { producers: ['producer-b', 'producer-a'] },
      bus: 'near',
    }),
    order('b2', 'h2', 'buy', 1.5, 0.2, { preferences: { producers: ['producer-b'] }, bus: 'near' }),
  ];
  const network: ClearInput['network'] = {
    root: 'pcc',
    branches: [
      { id: 'l-near', from: 'pcc', to: 'near', lengthKm: 0.2 },
      { id: 'l-far', from: 'pcc', to: 'far', lengthKm: 3 },
    ],
  };

  it("shares a popular producer pro rata and prices each trade at the producer's price", () => {
    const result = clearMarket({ mechanism: 'price-match', interval, orders, network });
    const energy = (sell: string, buy: string) =>
      result.trades
        .filter((t) => t.sellOrder === sell && t.buyOrder === buy)
        .reduce((s, t) => s + t.energyKWh, 0);
    expect(energy('b', 'b1')).toBeCloseTo(1, 12);
    expect(energy('b', 'b2')).toBeCloseTo(1, 12);
    expect(energy('a', 'b1')).toBeCloseTo(0.5, 12);
    for (const t of result.trades) expect(t.price).toBe(t.sellOrder === 'a' ? 0.1 : 0.12);
    // b2 named only producer-b: its last 0.5 kWh goes to the grid without a community pool.
    expect(energy('a', 'b2')).toBe(0);
  });

  it('sends unmatched energy to the community pool when there is one', () => {
    const result = clearMarket({
      mechanism: 'price-match',
      interval,
      orders,
      network,
      community: { price: 0.11 },
    });
    const pooled = result.trades.filter((t) => t.price === 0.11);
    expect(pooled).toEqual([
      expect.objectContaining({
        sellOrder: 'a',
        buyOrder: 'b2',
        energyKWh: expect.closeTo(0.5, 12) as number,
      }),
    ]);
  });

  it('chooses by energy type and distance, nearest first', () => {
    const typed = [
      order('a', 'producer-a', 'sell', 1, 0.1, { energyType: 'solar', bus: 'far' }),
      order('b', 'producer-b', 'sell', 1, 0.12, { energyType: 'solar', bus: 'near' }),
      order('w', 'producer-w', 'sell', 5, 0.01, { energyType: 'wind', bus: 'near' }),
      order('buyer', 'h1', 'buy', 1.5, 0.2, { preferences: { energyTypes: ['solar'] }, bus: 'near' }),
    ];
    const result = clearMarket({ mechanism: 'price-match', interval, orders: typed, network });
    expect(result.trades.map((t) => [t.sellOrder, t.energyKWh])).toEqual([
      ['b', 1],
      ['a', 0.5],
    ]);
    const nearOnly = clearMarket({
      mechanism: 'price-match',
      interval,
      orders: typed.map((o) =>
        o.id === 'buyer' ? { ...o, preferences: { energyTypes: ['solar'], maxDistanceKm: 1 } } : o,
      ),
      network,
    });
    expect(nearOnly.trades.map((t) => t.sellOrder)).toEqual(['b']);
  });
});

describe('community pool', () => {
  it('shares supply pro rata, in equal shares, or by priority tier', () => {
    expect(shareSupply(3, [2, 4], [0, 0], 'pro-rata')).toEqual([1, 2]);
    expect(shareSupply(3, [1, 4, 4], [0, 0, 0], 'equal')).toEqual([1, 1, 1]);
    expect(shareSupply(4, [1, 4, 4], [0, 0, 0], 'equal')).toEqual([1, 1.5, 1.5]);
    expect(shareSupply(3, [2, 2, 2], [1, 0, 1], 'priority')).toEqual([0.5, 2, 0.5]);
    expect(shareSupply(9, [2, 2], [0, 1], 'priority')).toEqual([2, 2]);
  });

  it('pays every pool trade the community price and feeds the pool pro rata when supply exceeds demand', () => {
    const result = clearMarket({
      mechanism: 'community',
      interval,
      grid: { importPrice: 0.3, exportPrice: 0.05 },
      orders: [
        order('s1', 'pv-1', 'sell', 3, 0.05),
        order('s2', 'pv-2', 'sell', 1, 0.05),
        order('s3', 'pv-3', 'sell', 1, 0.4), // asks more than the pool pays: stays out
        order('b1', 'h1', 'buy', 2, 0.3),
      ],
      community: { price: 0.23, sharing: 'pro-rata' },
    });
    expect(result.trades.every((t) => t.price === 0.23)).toBe(true);
    const sold = (id: string) =>
      result.trades.filter((t) => t.sellOrder === id).reduce((s, t) => s + t.energyKWh, 0);
    expect(sold('s1')).toBeCloseTo(1.5, 12);
    expect(sold('s2')).toBeCloseTo(0.5, 12);
    expect(sold('s3')).toBe(0);
    expect(result.grid.exportKWh).toBeCloseTo(3, 12);
  });

  it('nets bottom-up at a full branch instead of overloading it', () => {
    const result = clearMarket({
      mechanism: 'community',
      interval,
      orders: [
        order('far-pv', 'pv', 'sell', 4, 0.05, { bus: 'far' }),
        order('far-load', 'h1', 'buy', 1, 0.3, { bus: 'far' }),
        order('home', 'h2', 'buy', 4, 0.3),
      ],
      network: { root: 'pcc', branches: [{ id: 'l', from: 'pcc', to: 'far', capacityKW: 4 }] },
      community: { price: 0.2, sharing: 'pro-rata' },
    });
    // The far bus serves its own load, then exports what the 1 kWh branch allows.
    expect(result.branches[0]!.energyKWh).toBeCloseTo(1, 12);
    expect(result.localKWh).toBeCloseTo(2, 12);
    expect(result.grid).toMatchObject({ available: false, curtailedKWh: expect.closeTo(2, 12) as number });
  });
});

describe('hybrid', () => {
  it('matches preferences, then the pool, then auctions what is left pay-as-bid', () => {
    const result = clearMarket({
      mechanism: 'hybrid',
      interval,
      orders: [
        order('fav', 'neighbour', 'sell', 1, 0.12),
        order('pool-pv', 'pv', 'sell', 1, 0.05),
        order('dear', 'battery', 'sell', 1, 0.25),
        order('picky', 'h1', 'buy', 1, 0.2, { preferences: { producers: ['neighbour'] } }),
        order('any', 'h2', 'buy', 1, 0.2),
        order('keen', 'h3', 'buy', 1, 0.35),
      ],
      community: { price: 0.15 },
    });
    // Both other buyers accept the pool price, so they share its 1 kWh; the keen one buys the
    // rest of its need from the dear seller, at its own bid.
    expect(result.trades.map((t) => [t.sellOrder, t.buyOrder, t.energyKWh, t.price])).toEqual([
      ['fav', 'picky', 1, 0.12],
      ['pool-pv', 'any', 0.5, 0.15],
      ['pool-pv', 'keen', 0.5, 0.15],
      ['dear', 'keen', 0.5, 0.35],
    ]);
  });
});

describe('fees', () => {
  it('charges network use by distance, the community per kWh and per month, and the operator a share', () => {
    const input: ClearInput = {
      mechanism: 'pay-as-bid',
      interval: { start: '2026-06-01T12:00:00Z', minutes: 15 },
      orders: [
        order('s', 'pv', 'sell', 2, 0.1, { bus: 'a' }),
        order('b', 'home', 'buy', 2, 0.2, { bus: 'b' }),
      ],
      network: {
        root: 'pcc',
        branches: [
          { id: 'la', from: 'pcc', to: 'a', lengthKm: 1 },
          { id: 'lb', from: 'pcc', to: 'b', lengthKm: 0.5 },
        ],
      },
      fees: {
        networkPerKWh: 0.01,
        networkPerKWhPerKm: 0.02,
        communityPerKWh: 0.005,
        communityPerMonth: 30,
        dsoShare: 0.1,
        payer: 'buyer',
      },
      members: ['pv', 'home', 'idle'],
    };
    const result = clearMarket(input);
    const month = 30 * monthFraction(input.interval.start, 15);
    expect(month).toBeCloseTo(30 / (30 * 96), 12);
    expect(result.fees.network).toBeCloseTo((0.01 + 0.02 * 1.5) * 2, 12);
    expect(result.fees.community).toBeCloseTo(0.005 * 2 + 3 * month, 12);
    expect(result.fees.distributionOperator).toBeCloseTo(0.1 * 0.2 * 2, 12);
    const members = new Map(settleMembers(input, result).map((m) => [m.member, m]));
    expect(members.get('home')!.fees).toBeCloseTo(0.08 + 0.01 + month, 12);
    expect(members.get('pv')!.fees).toBeCloseTo(0.04 + month, 12);
    expect(members.get('idle')!.fees).toBeCloseTo(month, 12);
  });
});

describe('grid fallback', () => {
  const tariff = {
    periods: [
      { from: '00:00', to: '07:00', importPricePerKWh: 0.16, exportPricePerKWh: 0.05 },
      { from: '07:00', to: '18:00', importPricePerKWh: 0.26, exportPricePerKWh: 0.06 },
      { from: '18:00', to: '22:00', importPricePerKWh: 0.34, exportPricePerKWh: 0.06 },
      { from: '22:00', to: '00:00', importPricePerKWh: 0.2, exportPricePerKWh: 0.05 },
    ],
  };

  it("reads the time-of-use price at the interval's local time", () => {
    // Lisbon is UTC+1 in summer: 17:30Z is 18:30 there, in the evening peak.
    expect(tariffAt(tariff, Date.parse('2026-06-01T12:00:00Z'), 'Europe/Lisbon')).toEqual({
      importPrice: 0.26,
      exportPrice: 0.06,
    });
    expect(tariffAt(tariff, Date.parse('2026-06-01T17:30:00Z'), 'Europe/Lisbon')).toEqual({
      importPrice: 0.34,
      exportPrice: 0.06,
    });
    expect(tariffAt(tariff, Date.parse('2026-01-15T22:30:00Z'), 'Europe/Lisbon')).toEqual({
      importPrice: 0.2,
      exportPrice: 0.05,
    });
  });

  it('imports and exports what the market leaves, and strands it with no grid', () => {
    const orders = [order('s', 'pv', 'sell', 1, 0.1), order('b', 'home', 'buy', 3, 0.2)];
    const connected = clearMarket({
      mechanism: 'uniform',
      interval,
      orders,
      grid: { importPrice: 0.3, exportPrice: 0.05 },
    });
    expect(connected.grid).toMatchObject({
      available: true,
      importKWh: 2,
      importCost: 0.6,
      exportKWh: 0,
      unservedKWh: 0,
    });
    const islanded = clearMarket({ mechanism: 'uniform', interval, orders });
    expect(islanded.grid).toMatchObject({ available: false, importKWh: 0, unservedKWh: 2 });
  });
});
