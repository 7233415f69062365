/**
 * Uniform-price double auction (pay-as-clear).
 *
 * Price point: the midpoint of the accepted range, (highest accepted offer + lowest accepted bid)
 * / 2 — the k = ½ double auction, which splits the marginal pair's surplus evenly and is the same
 * whichever side is rationed. Every local trade in the interval is struck at this one price.
 *
 * Zonal rule: when branch limits bind, the highest accepted offer can exceed the lowest accepted
 * bid (cheap energy is trapped behind a full branch while dear buyers elsewhere are served), and
 * no single price is acceptable to every accepted order. Then clearingPrice is null and the
 * network splits into zones at the branches that are at their limit. A zone's buyers all pay the
 * zone's price — the midpoint of the highest offer among the sellers that supply the zone (its
 * own and those exporting into it over a full branch) and the lowest bid among its buyers — and
 * each trade is priced in the zone where its energy is consumed. An exporting seller thus earns
 * the importing zone's price on the share it exports, the reward for relieving that zone. The
 * price lies within every trade's offer and bid because, in the welfare optimum, bus prices rise
 * only along a full branch's flow (see trade-pairing.ts).
 */
import { branchFlows, maximiseWelfare, type FlowLimits } from './network-clearing.ts';
import type { Match, OrderBook } from './order-book.ts';
import type { RadialNetwork } from './radial-network.ts';
import { pairAccepted } from './trade-pairing.ts';

export interface PriceZone {
  /** The zone's bus nearest the root, which names it. */
  topBus: string;
  buses: string[];
  /** currency/kWh */
  price: number;
}

export interface PricedMatches {
  matches: Match[];
  /** Price of each match (currency/kWh). */
  prices: number[];
  clearingPrice: number | null;
  zones: PriceZone[];
}

export function clearUniform(
  book: OrderBook,
  network: RadialNetwork,
  energyKWh: Float64Array,
  limits: FlowLimits,
): PricedMatches {
  const accepted = maximiseWelfare(book, network, energyKWh, book.pricePerKWh, limits);
  const matches = pairAccepted(book, network, accepted);
  return priceUniform(book, network, matches, limits);
}

export function priceUniform(
  book: OrderBook,
  network: RadialNetwork,
  matches: Match[],
  limits: FlowLimits,
): PricedMatches {
  if (matches.length === 0) return { matches, prices: [], clearingPrice: null, zones: [] };
  const price = book.pricePerKWh;
  let highestOffer = -Infinity;
  let lowestBid = Infinity;
  for (const m of matches) {
    highestOffer = Math.max(highestOffer, price[m.sell]!);
    lowestBid = Math.min(lowestBid, price[m.buy]!);
  }
  if (highestOffer <= lowestBid) {
    const clearingPrice = (highestOffer + lowestBid) / 2;
    return { matches, prices: matches.map(() => clearingPrice), clearingPrice, zones: [] };
  }

  const zoneOf = zonesAtFullBranches(book, network, matches, limits);
  const zoneOffer = new Map<number, number>();
  const zoneBid = new Map<number, number>();
  for (const m of matches) {
    const zone = zoneOf[book.bus[m.buy]!]!;
    zoneOffer.set(zone, Math.max(zoneOffer.get(zone) ?? -Infinity, price[m.sell]!));
    zoneBid.set(zone, Math.min(zoneBid.get(zone) ?? Infinity, price[m.buy]!));
  }
  const zonePrice = new Map<number, number>();
  for (const [zone, offer] of zoneOffer) zonePrice.set(zone, (offer + zoneBid.get(zone)!) / 2);
  const zones: PriceZone[] = [...zonePrice.keys()]
    .sort((a, b) => a - b)
    .map((top) => ({
      topBus: network.buses[top]!,
      buses: network.buses.filter((_, bus) => zoneOf[bus] === top),
      price: zonePrice.get(top)!,
    }));
  return {
    matches,
    prices: matches.map((m) => zonePrice.get(zoneOf[book.bus[m.buy]!]!)!),
    clearingPrice: null,
    zones,
  };
}

/**
 * Zone of each bus, named by its top bus: buses joined by branches short of their limits. The
 * tolerance errs towards calling a branch full, which only splits a zone of equal bus prices.
 */
function zonesAtFullBranches(
  book: OrderBook,
  network: RadialNetwork,
  matches: Match[],
  limits: FlowLimits,
): Int32Array {
  const flow = branchFlows(book, network, matches);
  const zone = new Int32Array(network.buses.length);
  for (let bus = 1; bus < network.buses.length; bus++) {
    const high = limits.highKWh[bus]!;
    const low = limits.lowKWh[bus]!;
    const full =
      flow[bus]! >= high - 1e-6 * Math.max(1, Math.abs(high)) ||
      flow[bus]! <= low + 1e-6 * Math.max(1, Math.abs(low));
    zone[bus] = full ? bus : zone[network.parent[bus]!]!;
  }
  return zone;
}
