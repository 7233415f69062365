// Known answers for the two auctions: the uniform price point, zonal prices behind a full
// branch, and pay-as-bid's prices.
import { describe, expect, it } from 'vitest';
import { clearMarket, type ClearInput, type Order } from '../../../../shared/market/index.ts';

const interval = { start: '2026-06-01T12:00:00Z', minutes: 15 };
const order = (id: string, side: Order['side'], energyKWh: number, price: number, bus?: string): Order => ({
  id,
  member: `m-${id}`,
  side,
  energyKWh,
  price,
  ...(bus ? { bus } : {}),
});

const village: ClearInput = {
  mechanism: 'uniform',
  interval,
  grid: { importPrice: 0.3, exportPrice: 0.05 },
  orders: [
    order('o1', 'sell', 2.5, 0.08, 'b3'),
    order('o2', 'buy', 1.2, 0.25, 'b7'),
    order('o3', 'sell', 1.0, 0.12, 'b7'),
    order('o4', 'buy', 2.0, 0.2, 'b3'),
    order('o5', 'buy', 0.8, 0.1),
  ],
  network: {
    root: 'pcc',
    branches: [
      { id: 'l1', from: 'pcc', to: 'b3', capacityKW: 40 },
      { id: 'l2', from: 'pcc', to: 'b7', capacityKW: 40 },
    ],
  },
};

/** The farm's 8 kW feeder carries 2 kWh in 15 minutes: its cheap solar cannot all reach the village. */
const congested: ClearInput = {
  mechanism: 'uniform',
  interval,
  orders: [
    order('farm-pv', 'sell', 6, 0.04, 'farm'),
    order('farm-pump', 'buy', 1, 0.09, 'farm'),
    order('school', 'buy', 3, 0.22, 'village'),
    order('shop', 'buy', 2, 0.18, 'village'),
    order('roof-7', 'sell', 2, 0.15, 'village'),
  ],
  network: {
    root: 'pcc',
    branches: [
      { id: 'feeder-farm', from: 'pcc', to: 'farm', capacityKW: 8 },
      { id: 'feeder-village', from: 'pcc', to: 'village', capacityKW: 40 },
    ],
  },
};

describe('uniform-price double auction', () => {
  it('clears at the midpoint of the highest accepted offer and the lowest accepted bid', () => {
    const result = clearMarket(village);
    // Accepted: offers 0.08 and 0.12, bids 0.25 and 0.20; the 0.10 bid is below the 0.12 offer.
    expect(result.clearingPrice).toBeCloseTo(0.16, 12);
    expect(result.localKWh).toBeCloseTo(3.2, 12);
    expect(result.welfare).toBeCloseTo(1.2 * 0.25 + 2 * 0.2 - 2.5 * 0.08 - 0.7 * 0.12, 12);
    expect(result.trades.every((t) => t.price === result.clearingPrice)).toBe(true);
    expect(result.trades.some((t) => t.buyOrder === 'o5')).toBe(false);
    expect(result.grid).toMatchObject({ importKWh: 0.8, exportKWh: expect.closeTo(0.3, 12) as number });
  });

  it('prices per zone when a full branch leaves no single price', () => {
    const result = clearMarket(congested);
    expect(result.clearingPrice).toBeNull();
    expect(result.branches.find((b) => b.branch === 'feeder-farm')).toMatchObject({
      energyKWh: 2,
      limitKWh: 2,
    });
    expect(result.zones).toEqual([
      { topBus: 'pcc', buses: ['pcc', 'village'], price: expect.closeTo(0.165, 12) as number },
      { topBus: 'farm', buses: ['farm'], price: expect.closeTo(0.065, 12) as number },
    ]);
    // Energy is priced where it is consumed: the farm's exports earn the village's price.
    const farmToSchool = result.trades.find((t) => t.sellOrder === 'farm-pv' && t.buyOrder === 'school');
    expect(farmToSchool?.price).toBeCloseTo(0.165, 12);
    const farmToPump = result.trades.find((t) => t.buyOrder === 'farm-pump');
    expect(farmToPump?.price).toBeCloseTo(0.065, 12);
    expect(result.welfare).toBeCloseTo(0.51, 12);
  });

  it('has one price again when the branch is large enough', () => {
    const result = clearMarket({
      ...congested,
      network: {
        ...congested.network!,
        branches: congested.network!.branches.map((b) => ({ ...b, capacityKW: 100 })),
      },
    });
    expect(result.zones).toEqual([]);
    expect(result.clearingPrice).toBeCloseTo((0.04 + 0.09) / 2, 12);
  });

  it('trades nothing, at no price, when every offer is above every bid', () => {
    const result = clearMarket({
      mechanism: 'uniform',
      interval,
      orders: [order('s', 'sell', 1, 0.3), order('b', 'buy', 1, 0.2)],
    });
    expect(result).toMatchObject({ clearingPrice: null, trades: [], welfare: 0, localKWh: 0 });
    expect(result.grid).toMatchObject({ available: false, unservedKWh: 1, curtailedKWh: 1 });
  });

  it('trades at a tie, where the offer equals the bid', () => {
    const result = clearMarket({
      mechanism: 'uniform',
      interval,
      orders: [order('s', 'sell', 1, 0.2), order('b', 'buy', 2, 0.2)],
    });
    expect(result.localKWh).toBe(1);
    expect(result.clearingPrice).toBe(0.2);
  });
});

describe('pay-as-bid', () => {
  it('prices each trade at its buyer bid, on the same allocation as uniform', () => {
    const uniform = clearMarket(village);
    const result = clearMarket({ ...village, mechanism: 'pay-as-bid' });
    expect(result.clearingPrice).toBeNull();
    expect(result.welfare).toBeCloseTo(uniform.welfare, 12);
    const bids = new Map(village.orders.map((o) => [o.id, o.price]));
    for (const t of result.trades) expect(t.price).toBe(bids.get(t.buyOrder));
  });

  it('respects branch limits like the uniform auction', () => {
    const result = clearMarket({ ...congested, mechanism: 'pay-as-bid' });
    expect(result.welfare).toBeCloseTo(0.51, 12);
    expect(result.branches.find((b) => b.branch === 'feeder-farm')?.energyKWh).toBeCloseTo(2, 12);
  });
});
