// An interval's orders in merit order with their buses resolved, as flat arrays the clearing
// stages index by position. Merit order is price ascending, sells before buys at one price, then
// order id: a total order on the orders' content, which is what makes every result independent of
// the order of the input, and the order the auctions walk, so they need not sort again.
import type { Order } from './clear-input.ts';
import { compareIds, type RadialNetwork } from './radial-network.ts';

export interface OrderBook {
  orders: readonly Order[];
  bus: Int32Array;
  isSell: Uint8Array;
  energyKWh: Float64Array;
  pricePerKWh: Float64Array;
}

/** A local trade between two orders of the book, before it is priced. */
export interface Match {
  sell: number;
  buy: number;
  energyKWh: number;
}

/** Trades smaller than this are rounding residue from summing quantities, not energy (kWh). */
export const ENERGY_EPSILON_KWH = 1e-9;

export function buildOrderBook(
  orders: readonly Order[],
  network: RadialNetwork,
  hasNetwork: boolean,
): OrderBook {
  const sorted = meritOrder(orders);
  const count = sorted.length;
  const book: OrderBook = {
    orders: sorted,
    bus: new Int32Array(count),
    isSell: new Uint8Array(count),
    energyKWh: new Float64Array(count),
    pricePerKWh: new Float64Array(count),
  };
  for (let i = 0; i < count; i++) {
    const order = sorted[i]!;
    book.isSell[i] = order.side === 'sell' ? 1 : 0;
    book.energyKWh[i] = order.energyKWh;
    book.pricePerKWh[i] = order.price;
    if (!hasNetwork || order.bus === undefined) continue;
    const index = network.busIndex.get(order.bus);
    if (index === undefined) throw new Error(`order '${order.id}': unknown bus '${order.bus}'`);
    book.bus[i] = index;
  }
  return book;
}

const RADIX_FROM_ORDERS = 1000;

/**
 * Orders by price, then sells first, then id. A stable radix sort on the prices' bits does the
 * bulk in linear time — a comparison sort of 20,000 orders costs a few milliseconds of the
 * interval's budget — and only runs of equal price are sorted by side and id.
 */
function meritOrder(orders: readonly Order[]): Order[] {
  const count = orders.length;
  // Below this the radix passes' 65,536 buckets cost more than a comparison sort (a village's
  // interval has tens of orders, and settlement clears one every interval).
  if (count < RADIX_FROM_ORDERS)
    return [...orders].sort((a, b) => a.price + 0 - (b.price + 0) || bySideThenId(a, b));
  const keys = new Float64Array(count);
  // + 0 turns -0 into 0, which the comparison order treats as equal.
  for (let i = 0; i < count; i++) keys[i] = orders[i]!.price + 0;
  const bits = new Uint32Array(keys.buffer);
  // IEEE 754 doubles order as integers once negative ones have all bits flipped and positive
  // ones their sign bit; the words are little-endian on every platform Electron runs on.
  for (let i = 0; i < count; i++) {
    if (bits[2 * i + 1]! >>> 31) {
      bits[2 * i] = ~bits[2 * i]! >>> 0;
      bits[2 * i + 1] = ~bits[2 * i + 1]! >>> 0;
    } else bits[2 * i + 1] = (bits[2 * i + 1]! | 0x80000000) >>> 0;
  }
  let index = new Uint32Array(count);
  for (let i = 0; i < count; i++) index[i] = i;
  let scratch = new Uint32Array(count);
  const buckets = new Uint32Array(65537);
  for (let pass = 0; pass < 4; pass++) {
    const word = pass >> 1;
    const shift = (pass & 1) * 16;
    buckets.fill(0);
    for (let i = 0; i < count; i++) buckets[((bits[2 * i + word]! >>> shift) & 0xffff) + 1]++;
    if (buckets.includes(count)) continue; // every key has the same digit: nothing to move
    for (let d = 1; d <= 65536; d++) buckets[d] += buckets[d - 1]!;
    for (let i = 0; i < count; i++) {
      const at = index[i]!;
      scratch[buckets[(bits[2 * at + word]! >>> shift) & 0xffff]!++] = at;
    }
    [index, scratch] = [scratch, index];
  }
  const sorted = new Array<Order>(count);
  for (let i = 0; i < count; i++) sorted[i] = orders[index[i]!]!;
  for (let start = 0; start < count;) {
    let end = start + 1;
    while (end < count && sorted[end]!.price === sorted[start]!.price) end++;
    if (end - start > 1) {
      const run = sorted.slice(start, end).sort(bySideThenId);
      for (let i = 0; i < run.length; i++) sorted[start + i] = run[i]!;
    }
    start = end;
  }
  return sorted;
}

function bySideThenId(a: Order, b: Order): number {
  if (a.side !== b.side) return a.side === 'sell' ? -1 : 1;
  return compareIds(a.id, b.id);
}

/** Energy each order has traded in `matches` (kWh). */
export function matchedEnergy(book: OrderBook, matches: readonly Match[]): Float64Array {
  const energy = new Float64Array(book.orders.length);
  for (const m of matches) {
    energy[m.sell] += m.energyKWh;
    energy[m.buy] += m.energyKWh;
  }
  return energy;
}

/** What each order still has to trade after `matches`, never below zero (kWh). */
export function residualEnergy(
  book: OrderBook,
  available: Float64Array,
  matches: readonly Match[],
): Float64Array {
  const left = matchedEnergy(book, matches);
  for (let i = 0; i < left.length; i++) {
    const kwh = available[i]! - left[i]!;
    left[i] = kwh > ENERGY_EPSILON_KWH ? kwh : 0;
  }
  return left;
}
