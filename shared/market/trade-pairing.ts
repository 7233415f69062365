/**
 * Turns accepted quantities into bilateral trades that follow the network's flows: each subtree
 * matches its own sellers and buyers first and passes only its net surplus or shortfall up the
 * branch to its parent. No trade then runs against a branch's net flow, and each branch carries
 * exactly the net energy of the allocation.
 *
 * Why this keeps every trade profitable: in a welfare-optimal allocation each bus has a shadow
 * price λ (the LP's dual); accepted sellers offer at most λ of their bus and accepted buyers bid
 * at least λ of theirs, and λ only rises along a branch in the direction of its flow (it differs
 * across a branch only where the branch is at its limit). Energy passed up a branch therefore
 * comes from sellers offering at most the λ where it is matched, and buyers passed up bid at
 * least that λ, so every pair formed at a bus has offer ≤ λ ≤ bid. Within a bus the cheapest
 * sellers meet the dearest buyers, the usual merit order.
 */
import { ENERGY_EPSILON_KWH, type Match, type OrderBook } from './order-book.ts';
import type { RadialNetwork } from './radial-network.ts';

export function pairAccepted(book: OrderBook, network: RadialNetwork, accepted: Float64Array): Match[] {
  // Sellers cheapest first and buyers dearest first: the book's merit order, and its reverse.
  const sells: number[] = [];
  const buys: number[] = [];
  for (let i = 0; i < accepted.length; i++) if (accepted[i]! > 0 && book.isSell[i]) sells.push(i);
  for (let i = accepted.length - 1; i >= 0; i--) if (accepted[i]! > 0 && !book.isSell[i]) buys.push(i);
  const busCount = network.buses.length;
  const sellsAt: number[][] = Array.from({ length: busCount }, () => []);
  const buysAt: number[][] = Array.from({ length: busCount }, () => []);
  sells.forEach((order, rank) => sellsAt[book.bus[order]!]!.push(rank));
  buys.forEach((order, rank) => buysAt[book.bus[order]!]!.push(rank));
  const sellLeft = Float64Array.from(sells, (order) => accepted[order]!);
  const buyLeft = Float64Array.from(buys, (order) => accepted[order]!);

  const matches: Match[] = [];
  for (let bus = busCount - 1; bus >= 0; bus--) {
    let sellRanks = sellsAt[bus]!;
    let buyRanks = buysAt[bus]!;
    // A bus's own ranks are in order; only those passed up from its children need sorting in.
    const merged = network.children[bus]!.length > 0;
    for (const child of network.children[bus]!) {
      sellRanks = sellRanks.concat(sellsAt[child]!);
      buyRanks = buyRanks.concat(buysAt[child]!);
      sellsAt[child] = [];
      buysAt[child] = [];
    }
    if (sellRanks.length && buyRanks.length) {
      const s = Int32Array.from(sellRanks);
      const b = Int32Array.from(buyRanks);
      if (merged) {
        s.sort();
        b.sort();
      }
      let i = 0;
      let j = 0;
      while (i < s.length && j < b.length) {
        const sell = s[i]!;
        const buy = b[j]!;
        const energy = Math.min(sellLeft[sell]!, buyLeft[buy]!);
        if (energy > ENERGY_EPSILON_KWH)
          matches.push({ sell: sells[sell]!, buy: buys[buy]!, energyKWh: energy });
        sellLeft[sell] -= energy;
        buyLeft[buy] -= energy;
        if (sellLeft[sell]! <= ENERGY_EPSILON_KWH) i++;
        if (buyLeft[buy]! <= ENERGY_EPSILON_KWH) j++;
      }
      sellRanks = Array.from(s.subarray(i));
      buyRanks = Array.from(b.subarray(j));
    }
    sellsAt[bus] = sellRanks;
    buysAt[bus] = buyRanks;
  }
  return matches;
}
