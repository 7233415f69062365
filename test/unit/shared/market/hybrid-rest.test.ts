// The hybrid market's last stage by its `rest` setting: what neither the preferences nor the pool
// took is auctioned pay-as-bid by default, or at one uniform price when the settings say so.
import { describe, expect, it } from 'vitest';
import { clearMarket, type ClearInput, type Order } from '../../../../shared/market/index.ts';

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

// As in mechanisms.test.ts: after the preference and the pool stages, 'dear' (offer 0.25) has 1 kWh
// and 'keen' (bid 0.35) still needs 0.5 kWh; 'any' (bid 0.2) is below every offer left.
const input: ClearInput = {
  mechanism: 'hybrid',
  interval: { start: '2026-06-01T12:00:00Z', minutes: 15 },
  orders: [
    order('fav', 'neighbour', 'sell', 1, 0.12),
    order('pool-pv', 'pv', 'sell', 1, 0.05),
    order('dear', 'battery', 'sell', 1, 0.25),
    order('picky', 'h1', 'buy', 1, 0.2, { preferences: { producers: ['neighbour'] } }),
    order('any', 'h2', 'buy', 1, 0.2),
    order('keen', 'h3', 'buy', 1, 0.35),
  ],
  community: { price: 0.15 },
};
const last = (i: ClearInput) => {
  const t = clearMarket(i).trades.at(-1)!;
  return [t.sellOrder, t.buyOrder, t.energyKWh, t.price];
};

describe('hybrid: the rest of the orders', () => {
  it('goes pay-as-bid by default: the buyer pays its bid, 0.35', () => {
    expect(last(input)).toEqual(['dear', 'keen', 0.5, 0.35]);
    expect(last({ ...input, hybrid: { rest: 'pay-as-bid' } })).toEqual(['dear', 'keen', 0.5, 0.35]);
  });

  it('clears at the midpoint of the accepted range when uniform: (0.25 + 0.35) / 2 = 0.30', () => {
    const [seller, buyer, kWh, price] = last({ ...input, hybrid: { rest: 'uniform' } });
    expect([seller, buyer, kWh]).toEqual(['dear', 'keen', 0.5]);
    expect(price).toBeCloseTo(0.3, 12);
  });
});
