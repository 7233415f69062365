/**
 * Welfare-maximising acceptance of orders on a radial network with branch limits, exactly.
 *
 * The problem is the linear program
 *   maximise Σ bid·y − Σ offer·x  subject to  0 ≤ x ≤ sell energy, 0 ≤ y ≤ buy energy,
 *   Σx = Σy, and for every branch  low ≤ (Σx − Σy over the buses below it) ≤ high.
 * For a subtree T, let W_T(f) be the best welfare inside T when T exports net energy f. W_T is
 * concave and piecewise linear: starting from "every buy accepted, no sell" (f = −Σ buy energy),
 * each order is a segment of length equal to its energy and slope −price (accepting a sell or
 * dropping a buy both raise f at a cost of the order's price), taken in increasing price.
 * Joining subtrees is the sup-convolution of their W, which merges their segment lists; a branch
 * limit restricts W to [low, high], which cuts segments off both ends of the list: those cut from
 * the cheap end are taken whatever the parent does, those cut from the dear end never are. At
 * the root the balance Σx = Σy is W_root at f = 0. Because every list is a merge of its
 * children's, the segments taken below a node always form a prefix of each child's list, so
 * the decisions made on the way up are the optimal split and no second pass is needed.
 *
 * Lists are sorted arrays of ranks in one global price order; a node is only merged (one typed
 * sort) where its branch limit cuts, so the cost is O(n log n) per limited level of the tree.
 * Ties in price are broken as in the book's merit order: sells first, which trades the most
 * energy among the optimal allocations, then by order id, never by input order.
 */
import type { Match, OrderBook } from './order-book.ts';
import { subtreeNet, type RadialNetwork } from './radial-network.ts';

/** Bounds on each branch's net energy towards the root in one clearing stage (kWh, by child bus). */
export interface FlowLimits {
  lowKWh: Float64Array;
  highKWh: Float64Array;
}

export function networkLimits(network: RadialNetwork): FlowLimits {
  return {
    lowKWh: network.limitKWh.map((limit) => -limit),
    highKWh: Float64Array.from(network.limitKWh),
  };
}

/** What is left of `limits` once a stage has put `flow` on the branches. */
export function remainingLimits(limits: FlowLimits, flow: Float64Array): FlowLimits {
  return {
    lowKWh: limits.lowKWh.map((low, bus) => Math.min(0, low - flow[bus]!)),
    highKWh: limits.highKWh.map((high, bus) => Math.max(0, high - flow[bus]!)),
  };
}

/**
 * Energy accepted from each order of the book (kWh) in a welfare-maximising allocation of
 * `energyKWh` (per order; zero leaves an order out) at `pricePerKWh` within `limits`.
 */
export function maximiseWelfare(
  book: OrderBook,
  network: RadialNetwork,
  energyKWh: Float64Array,
  pricePerKWh: Float64Array,
  limits: FlowLimits,
): Float64Array {
  const isSell = book.isSell;
  const candidates: number[] = [];
  for (let i = 0; i < energyKWh.length; i++) if (energyKWh[i]! > 0) candidates.push(i);
  const byRank = Int32Array.from(candidates);
  // The book is already in merit order at its own prices; other prices need a sort.
  if (pricePerKWh !== book.pricePerKWh)
    byRank.sort((a, b) => pricePerKWh[a]! - pricePerKWh[b]! || isSell[b]! - isSell[a]! || a - b);
  const count = byRank.length;
  const length = new Float64Array(count);
  const taken = new Float64Array(count);
  const busCount = network.buses.length;
  const localRanks: number[][] = Array.from({ length: busCount }, () => []);
  const low = new Float64Array(busCount); // left end of each subtree's W (most import)
  const high = new Float64Array(busCount); // right end (most export)
  for (let rank = 0; rank < count; rank++) {
    const order = byRank[rank]!;
    const bus = book.bus[order]!;
    length[rank] = energyKWh[order]!;
    localRanks[bus]!.push(rank);
    if (isSell[order]) high[bus] += length[rank]!;
    else low[bus] -= length[rank]!;
  }

  const runs: Int32Array[][] = localRanks.map((ranks) => (ranks.length ? [Int32Array.from(ranks)] : []));
  for (let bus = busCount - 1; bus >= 0; bus--) {
    for (const child of network.children[bus]!) {
      for (const run of runs[child]!) runs[bus]!.push(run);
      runs[child] = [];
      low[bus] += low[child]!;
      high[bus] += high[child]!;
    }
    if (bus === 0) break;
    const cutCheap = limits.lowKWh[bus]! - low[bus]!;
    const cutDear = high[bus]! - limits.highKWh[bus]!;
    if (cutCheap <= 0 && cutDear <= 0) continue;
    const merged = mergeRuns(runs[bus]!);
    let first = 0;
    let last = merged.length;
    if (cutCheap > 0) {
      first = takePrefix(merged, length, taken, cutCheap);
      low[bus] = limits.lowKWh[bus]!;
    }
    if (cutDear > 0) {
      let excess = cutDear;
      while (excess > 0 && last > first) {
        const rank = merged[last - 1]!;
        if (length[rank]! <= excess) {
          excess -= length[rank]!;
          length[rank] = 0;
          last--;
        } else {
          length[rank] -= excess;
          excess = 0;
        }
      }
      high[bus] = limits.highKWh[bus]!;
    }
    runs[bus] = [merged.subarray(first, last)];
  }
  takePrefix(mergeRuns(runs[0]!), length, taken, -low[0]!);

  const accepted = new Float64Array(energyKWh.length);
  for (let rank = 0; rank < count; rank++) {
    const order = byRank[rank]!;
    accepted[order] = isSell[order] ? taken[rank]! : Math.max(0, energyKWh[order]! - taken[rank]!);
  }
  return accepted;
}

function mergeRuns(runs: Int32Array[]): Int32Array {
  if (runs.length === 1) return runs[0]!;
  let size = 0;
  for (const run of runs) size += run.length;
  const merged = new Int32Array(size);
  let at = 0;
  for (const run of runs) {
    merged.set(run, at);
    at += run.length;
  }
  return merged.sort();
}

/** Takes `amount` of segment length from the cheap end; returns the first rank still untaken. */
function takePrefix(ranks: Int32Array, length: Float64Array, taken: Float64Array, amount: number): number {
  let at = 0;
  while (amount > 0 && at < ranks.length) {
    const rank = ranks[at]!;
    if (length[rank]! <= amount) {
      amount -= length[rank]!;
      taken[rank] += length[rank]!;
      length[rank] = 0;
      at++;
    } else {
      taken[rank] += amount;
      length[rank] -= amount;
      amount = 0;
    }
  }
  return at;
}

/** Net energy each branch carries towards the root under `matches` (kWh, by child bus). */
export function branchFlows(
  book: OrderBook,
  network: RadialNetwork,
  matches: readonly Match[],
): Float64Array {
  const net = new Float64Array(network.buses.length);
  for (const m of matches) {
    net[book.bus[m.sell]!] += m.energyKWh;
    net[book.bus[m.buy]!] -= m.energyKWh;
  }
  return subtreeNet(network, net);
}
