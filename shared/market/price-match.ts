/**
 * Price match (Piclo, Vandebron, Powerpeers): buyers choose their producers and producers set
 * their own prices. A buyer's choices are its preferred producers in order (at most ten, as
 * Powerpeers allows), followed by the producers of its chosen energy types within its distance,
 * nearest first (Piclo's "close-by generator"), also at most ten. Only producers whose price the
 * buyer's bid meets are considered, and each trade is struck at the producer's price.
 *
 * Allocation runs in rounds: in each round every buyer still short asks its next choice for the
 * rest of its demand; a producer asked for more than it has shares it pro rata among the round's
 * requests. A trade is cut to what its path through the network can still carry. Energy left
 * unmatched falls back to the community pool when the site has one, else to the grid.
 */
import type { CommunitySettings } from './clear-input.ts';
import { clearCommunityPool } from './community-pool.ts';
import type { FlowLimits } from './network-clearing.ts';
import { ENERGY_EPSILON_KWH, type Match, type OrderBook } from './order-book.ts';
import { distanceKm, type RadialNetwork } from './radial-network.ts';
import { runStages, type Stage } from './stage-sequence.ts';
import type { PricedMatches } from './uniform-auction.ts';

/** Most producers a buyer's choice list holds from each source (named, or by type and distance). */
export const MAX_CHOICES = 10;

export function clearPriceMatch(
  book: OrderBook,
  network: RadialNetwork,
  energyKWh: Float64Array,
  limits: FlowLimits,
  community: CommunitySettings | undefined,
): PricedMatches {
  const stages: Stage[] = [(energy, stageLimits) => matchPreferences(book, network, energy, stageLimits)];
  if (community)
    stages.push((energy, stageLimits) => clearCommunityPool(book, network, energy, stageLimits, community));
  return runStages(book, network, energyKWh, limits, stages);
}

export function matchPreferences(
  book: OrderBook,
  network: RadialNetwork,
  energyKWh: Float64Array,
  limits: FlowLimits,
): PricedMatches {
  const supply = Float64Array.from(energyKWh);
  const buyers = book.orders.flatMap((order, i) =>
    order.side === 'buy' && energyKWh[i]! > 0 && order.preferences ? [i] : [],
  );
  const sellsByMember = new Map<string, number[]>();
  book.orders.forEach((order, i) => {
    if (order.side === 'sell')
      sellsByMember.set(order.member, [...(sellsByMember.get(order.member) ?? []), i]);
  });
  const choices = buyers.map((buyer) => choiceList(book, network, energyKWh, buyer, sellsByMember));
  const next = new Int32Array(buyers.length);
  const flow = new Float64Array(network.buses.length);
  const matches: Match[] = [];
  let active = buyers.map((_, k) => k).filter((k) => choices[k]!.length > 0);
  while (active.length) {
    // Each active buyer asks its next producer that still has energy.
    const requests = new Map<number, number[]>();
    for (const k of active) {
      const list = choices[k]!;
      while (next[k]! < list.length && supply[list[next[k]!]!]! <= ENERGY_EPSILON_KWH) next[k]++;
      if (next[k]! >= list.length) continue;
      const seller = list[next[k]!]!;
      const askers = requests.get(seller) ?? [];
      askers.push(k);
      requests.set(seller, askers);
    }
    for (const seller of [...requests.keys()].sort((a, b) => a - b)) {
      const askers = requests.get(seller)!;
      let asked = 0;
      for (const k of askers) asked += supply[buyers[k]!]!;
      const fraction = Math.min(1, supply[seller]! / asked);
      const offered = supply[seller]!;
      for (const k of askers) {
        const buyer = buyers[k]!;
        const want = Math.min(supply[buyer]! * fraction, offered);
        const energy = Math.min(want, pathRoom(network, flow, limits, book.bus[seller]!, book.bus[buyer]!));
        if (energy <= ENERGY_EPSILON_KWH) continue;
        matches.push({ sell: seller, buy: buyer, energyKWh: energy });
        supply[seller] -= energy;
        supply[buyer] -= energy;
        carry(network, flow, book.bus[seller]!, book.bus[buyer]!, energy);
      }
    }
    for (const k of active) next[k]++;
    active = active.filter((k) => supply[buyers[k]!]! > ENERGY_EPSILON_KWH && next[k]! < choices[k]!.length);
  }
  return { matches, prices: matches.map((m) => book.pricePerKWh[m.sell]!), clearingPrice: null, zones: [] };
}

/** The sell orders a buy order would take, best first. */
export function choiceList(
  book: OrderBook,
  network: RadialNetwork,
  energyKWh: Float64Array,
  buyer: number,
  sellsByMember: ReadonlyMap<string, readonly number[]>,
): number[] {
  const order = book.orders[buyer]!;
  const preferences = order.preferences ?? {};
  const affordable = (i: number) =>
    book.isSell[i] === 1 && energyKWh[i]! > 0 && book.pricePerKWh[i]! <= order.price;
  const list: number[] = [];
  const listed = new Set<number>();
  for (const producer of preferences.producers ?? []) {
    for (const i of sellsByMember.get(producer) ?? []) {
      if (affordable(i) && !listed.has(i)) {
        list.push(i);
        listed.add(i);
      }
    }
  }
  if (preferences.energyTypes === undefined && preferences.maxDistanceKm === undefined) return list;
  const near: Array<{ i: number; km: number }> = [];
  book.orders.forEach((o, i) => {
    if (listed.has(i) || !affordable(i)) return;
    if (
      preferences.energyTypes &&
      !(o.energyType !== undefined && preferences.energyTypes.includes(o.energyType))
    )
      return;
    const km = distanceKm(network, book.bus[i]!, book.bus[buyer]!);
    if (preferences.maxDistanceKm !== undefined && km > preferences.maxDistanceKm) return;
    near.push({ i, km });
  });
  near.sort((a, b) => a.km - b.km || book.pricePerKWh[a.i]! - book.pricePerKWh[b.i]! || a.i - b.i);
  return list.concat(near.slice(0, MAX_CHOICES).map((n) => n.i));
}

/** Most energy one more trade from bus `from` to bus `to` can add without overloading a branch. */
function pathRoom(
  network: RadialNetwork,
  flow: Float64Array,
  limits: FlowLimits,
  from: number,
  to: number,
): number {
  let room = Infinity;
  while (from !== to) {
    if (network.depth[from]! >= network.depth[to]!) {
      room = Math.min(room, limits.highKWh[from]! - flow[from]!);
      from = network.parent[from]!;
    } else {
      room = Math.min(room, flow[to]! - limits.lowKWh[to]!);
      to = network.parent[to]!;
    }
  }
  return Math.max(0, room);
}

function carry(network: RadialNetwork, flow: Float64Array, from: number, to: number, energy: number): void {
  while (from !== to) {
    if (network.depth[from]! >= network.depth[to]!) {
      flow[from] += energy;
      from = network.parent[from]!;
    } else {
      flow[to] -= energy;
      to = network.parent[to]!;
    }
  }
}
