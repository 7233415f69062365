// The order book's merit order: price ascending, sells before buys at one price, then id, for the
// small books settlement clears (a comparison sort) and the large ones the benchmarks clear (a
// radix sort on the prices' bits, from 1000 orders). The expected order is written here with a
// plain comparison, independently of the book's code; the prices include negatives, -0 and 0,
// ties and very close values, where a bit-level sort goes wrong first.
import { describe, expect, it } from 'vitest';
import type { Order } from '../../../../shared/market/clear-input.ts';
import { buildOrderBook, matchedEnergy, residualEnergy } from '../../../../shared/market/order-book.ts';
import { buildRadialNetwork } from '../../../../shared/market/radial-network.ts';

const network = buildRadialNetwork(undefined, 15);

function expectedOrder(orders: readonly Order[]): string[] {
  const sideRank = (o: Order) => (o.side === 'sell' ? 0 : 1);
  return [...orders]
    .sort((a, b) => {
      const pa = a.price === 0 ? 0 : a.price;
      const pb = b.price === 0 ? 0 : b.price;
      if (pa !== pb) return pa < pb ? -1 : 1;
      if (sideRank(a) !== sideRank(b)) return sideRank(a) - sideRank(b);
      return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
    })
    .map((o) => o.id);
}

/** A deterministic generator (mulberry32), so a failure replays. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const special = [-0, 0, -1e-12, 1e-12, -0.3, 0.3, 0.30000000000000004, -1e6, 1e6, 0.15, 0.15];

function orders(n: number, seed: number): Order[] {
  const rnd = random(seed);
  return Array.from({ length: n }, (_, i) => {
    const r = rnd();
    const price =
      i < special.length ? special[i]! : r < 0.3 ? Math.round(rnd() * 20) / 100 : (rnd() - 0.3) * 2;
    return {
      id: `o${String(Math.floor(rnd() * n * 10)).padStart(6, '0')}-${i}`,
      member: `m${i % 37}`,
      side: rnd() < 0.5 ? 'sell' : 'buy',
      energyKWh: 0.1 + rnd(),
      price,
    } as Order;
  });
}

describe('merit order', () => {
  it.each([
    ['a village book (comparison sort)', 60],
    ['just below the radix threshold', 999],
    ['at the radix threshold', 1000],
    ['a large book (radix sort)', 5000],
  ])('orders %s by price, side and id', (_name, n) => {
    const input = orders(n, n * 31 + 7);
    const book = buildOrderBook(input, network, false);
    expect(book.orders.map((o) => o.id)).toEqual(expectedOrder(input));
    // The flat arrays follow the book's order.
    for (let i = 0; i < n; i++) {
      expect(book.isSell[i]).toBe(book.orders[i]!.side === 'sell' ? 1 : 0);
      expect(book.pricePerKWh[i]).toBe(book.orders[i]!.price);
      expect(book.energyKWh[i]).toBe(book.orders[i]!.energyKWh);
    }
  });

  it('is the same whatever the order of the input', () => {
    const input = orders(2000, 99);
    const once = buildOrderBook(input, network, false).orders.map((o) => o.id);
    const reversed = buildOrderBook([...input].reverse(), network, false).orders.map((o) => o.id);
    expect(reversed).toEqual(once);
  });

  it('puts all equal prices in side-then-id order, large or small', () => {
    const same = (n: number) =>
      Array.from({ length: n }, (_, i) => ({
        id: `x${String(n - i).padStart(5, '0')}`,
        member: 'm',
        side: i % 3 === 0 ? 'buy' : 'sell',
        energyKWh: 1,
        price: 0.2,
      })) as Order[];
    for (const n of [10, 1500]) {
      const input = same(n);
      expect(buildOrderBook(input, network, false).orders.map((o) => o.id)).toEqual(expectedOrder(input));
    }
  });
});

describe('matched and residual energy', () => {
  it('adds each match to both its orders and leaves what is not matched, never below zero', () => {
    const input: Order[] = [
      { id: 's', member: 'a', side: 'sell', energyKWh: 3, price: 0.1 },
      { id: 'b1', member: 'b', side: 'buy', energyKWh: 1, price: 0.3 },
      { id: 'b2', member: 'c', side: 'buy', energyKWh: 2, price: 0.2 },
    ];
    const book = buildOrderBook(input, network, false);
    // Merit order: s (0.1), b2 (0.2), b1 (0.3).
    expect(book.orders.map((o) => o.id)).toEqual(['s', 'b2', 'b1']);
    const matches = [
      { sell: 0, buy: 2, energyKWh: 1 },
      { sell: 0, buy: 1, energyKWh: 1.5 },
    ];
    expect([...matchedEnergy(book, matches)]).toEqual([2.5, 1.5, 1]);
    // s: 3 − 2.5 = 0.5; b2: 2 − 1.5 = 0.5; b1: 1 − 1 = 0. A residue below 1e-9 kWh is 0.
    expect([...residualEnergy(book, book.energyKWh, matches)]).toEqual([0.5, 0.5, 0]);
    const residue = Float64Array.from([2.5 + 1e-10, 1.5, 0.5]);
    expect([...residualEnergy(book, residue, matches)]).toEqual([0, 0, 0]);
  });
});
