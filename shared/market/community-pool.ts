/**
 * A community manager's pool (sonnenCommunity, Brazilian energy communities): members' surplus
 * goes into the pool at the community price and is shared among members short of energy by the
 * site's rule — pro rata to demand, by priority tier (lowest tier first, pro rata within a tier), or
 * in equal shares (no one gets more than they need; what they leave is shared among the rest).
 * When supply exceeds demand, sellers feed the pool pro rata to their surplus.
 *
 * Only orders that accept the community price take part: sellers offering at or below it and
 * buyers bidding at or above it. Presets price members' orders so that all of them do.
 *
 * Network limits: the rule is applied to the whole pool first. If that would overload a branch,
 * the pool splits at the branches with a capacity and nets bottom-up: each sub-pool shares by the
 * rule among its own members first, then offers what is left (pro rata, up to the branch's
 * capacity) to its parent's pool. This never overloads a branch; energy the branches cannot carry
 * falls back to the grid.
 */
import type { CommunitySettings, SharingRule } from './clear-input.ts';
import type { FlowLimits } from './network-clearing.ts';
import { ENERGY_EPSILON_KWH, type Match, type OrderBook } from './order-book.ts';
import { subtreeNet, type RadialNetwork } from './radial-network.ts';
import type { PricedMatches } from './uniform-auction.ts';

export function clearCommunityPool(
  book: OrderBook,
  network: RadialNetwork,
  energyKWh: Float64Array,
  limits: FlowLimits,
  settings: CommunitySettings,
): PricedMatches {
  const rule = settings.sharing ?? 'pro-rata';
  const members: number[] = [];
  book.orders.forEach((order, i) => {
    const accepts = order.side === 'sell' ? order.price <= settings.price : order.price >= settings.price;
    if (accepts && energyKWh[i]! > 0) members.push(i);
  });
  let pools = [sharePool(book, members, energyKWh, rule)];
  if (!withinLimits(book, network, pools[0]!, limits))
    pools = nestedPools(book, network, members, energyKWh, limits, rule);
  const matches: Match[] = [];
  for (const pool of pools) pairPool(book, pool, matches);
  return { matches, prices: matches.map(() => settings.price), clearingPrice: null, zones: [] };
}

/** Energy each participant puts into (sell) or takes from (buy) one pool. */
interface PoolShares {
  orders: number[];
  energyKWh: number[];
}

function sharePool(
  book: OrderBook,
  orders: readonly number[],
  availableKWh: ArrayLike<number>,
  rule: SharingRule,
): PoolShares {
  const sells = orders.filter((i) => book.isSell[i]);
  const buys = orders.filter((i) => !book.isSell[i]);
  let supply = 0;
  for (const i of sells) supply += availableKWh[i]!;
  const demands = buys.map((i) => availableKWh[i]!);
  const tiers = buys.map((i) => book.orders[i]!.priorityTier ?? Infinity);
  const given = shareSupply(supply, demands, tiers, rule);
  let total = 0;
  for (const g of given) total += g;
  const fed = supply > 0 ? total / supply : 0;
  return {
    orders: [...sells, ...buys],
    energyKWh: [...sells.map((i) => availableKWh[i]! * fed), ...given],
  };
}

/** Splits `supplyKWh` among `demandsKWh` by the sharing rule; never gives more than a demand. */
export function shareSupply(
  supplyKWh: number,
  demandsKWh: readonly number[],
  tiers: readonly number[],
  rule: SharingRule,
): number[] {
  let demand = 0;
  for (const d of demandsKWh) demand += d;
  if (supplyKWh >= demand) return demandsKWh.slice();
  if (rule === 'pro-rata') return demandsKWh.map((d) => (d * supplyKWh) / demand);
  if (rule === 'equal') {
    const given = demandsKWh.map(() => 0);
    const bySize = demandsKWh.map((_, i) => i).sort((a, b) => demandsKWh[a]! - demandsKWh[b]! || a - b);
    let left = supplyKWh;
    for (let k = 0; k < bySize.length; k++) {
      const share = left / (bySize.length - k);
      const i = bySize[k]!;
      given[i] = Math.min(demandsKWh[i]!, share);
      left -= given[i]!;
    }
    return given;
  }
  const given = demandsKWh.map(() => 0);
  let left = supplyKWh;
  for (const tier of [...new Set(tiers)].sort((a, b) => a - b)) {
    const members = tiers.flatMap((t, i) => (t === tier ? [i] : []));
    let tierDemand = 0;
    for (const i of members) tierDemand += demandsKWh[i]!;
    const fraction = tierDemand > 0 ? Math.min(1, left / tierDemand) : 0;
    for (const i of members) given[i] = demandsKWh[i]! * fraction;
    left -= tierDemand * fraction;
    if (fraction < 1) break;
  }
  return given;
}

function withinLimits(
  book: OrderBook,
  network: RadialNetwork,
  pool: PoolShares,
  limits: FlowLimits,
): boolean {
  const net = new Float64Array(network.buses.length);
  pool.orders.forEach(
    (i, k) => (net[book.bus[i]!] += book.isSell[i] ? pool.energyKWh[k]! : -pool.energyKWh[k]!),
  );
  const flow = subtreeNet(network, net);
  for (let bus = 1; bus < flow.length; bus++) {
    if (flow[bus]! > limits.highKWh[bus]! + ENERGY_EPSILON_KWH) return false;
    if (flow[bus]! < limits.lowKWh[bus]! - ENERGY_EPSILON_KWH) return false;
  }
  return true;
}

function nestedPools(
  book: OrderBook,
  network: RadialNetwork,
  members: readonly number[],
  energyKWh: Float64Array,
  limits: FlowLimits,
  rule: SharingRule,
): PoolShares[] {
  const busCount = network.buses.length;
  const limited = (bus: number) =>
    bus === 0 || Number.isFinite(limits.highKWh[bus]!) || Number.isFinite(limits.lowKWh[bus]!);
  const participants: number[][] = Array.from({ length: busCount }, () => []);
  for (const i of members) participants[book.bus[i]!]!.push(i);
  // What each order can still offer to the pools above it (kWh).
  const open = Float64Array.from(energyKWh);
  const pools: PoolShares[] = [];
  for (let bus = busCount - 1; bus >= 0; bus--) {
    if (bus > 0 && !limited(bus)) {
      const parent = network.parent[bus]!;
      participants[parent] = participants[parent]!.concat(participants[bus]!);
      continue;
    }
    const here = participants[bus]!.sort((a, b) => a - b);
    const pool = sharePool(book, here, open, rule);
    pools.push(pool);
    pool.orders.forEach((i, k) => (open[i] -= pool.energyKWh[k]!));
    if (bus === 0) break;
    const left = here.filter((i) => open[i]! > ENERGY_EPSILON_KWH);
    let sellLeft = 0;
    let buyLeft = 0;
    for (const i of left) {
      if (book.isSell[i]) sellLeft += open[i]!;
      else buyLeft += open[i]!;
    }
    // One side is left after a pool; offer it upwards only as far as the branch can carry it.
    const room = sellLeft > 0 ? limits.highKWh[bus]! : -limits.lowKWh[bus]!;
    const scale = Math.min(1, room / Math.max(sellLeft, buyLeft, ENERGY_EPSILON_KWH));
    for (const i of left) open[i] *= scale;
    const parent = network.parent[bus]!;
    participants[parent] = participants[parent]!.concat(left.filter((i) => open[i]! > ENERGY_EPSILON_KWH));
  }
  return pools;
}

/** Turns pool shares into trades, sellers and buyers each in book order (all at one price). */
function pairPool(book: OrderBook, pool: PoolShares, matches: Match[]): void {
  const sells: number[] = [];
  const buys: number[] = [];
  pool.orders.forEach((i, k) => {
    if (pool.energyKWh[k]! > ENERGY_EPSILON_KWH) (book.isSell[i] ? sells : buys).push(k);
  });
  const left = pool.energyKWh.slice();
  let s = 0;
  let b = 0;
  while (s < sells.length && b < buys.length) {
    const sk = sells[s]!;
    const bk = buys[b]!;
    const energy = Math.min(left[sk]!, left[bk]!);
    if (energy > ENERGY_EPSILON_KWH)
      matches.push({ sell: pool.orders[sk]!, buy: pool.orders[bk]!, energyKWh: energy });
    left[sk] -= energy;
    left[bk] -= energy;
    if (left[sk]! <= ENERGY_EPSILON_KWH) s++;
    if (left[bk]! <= ENERGY_EPSILON_KWH) b++;
  }
}
