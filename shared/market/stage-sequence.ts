// Mechanisms that clear in stages (priority loads, then preferences, then a pool, then an
// auction) hand each stage what the earlier ones left: the orders' residual energy and the
// branches' residual headroom.
import { branchFlows, remainingLimits, type FlowLimits } from './network-clearing.ts';
import { residualEnergy, type Match, type OrderBook } from './order-book.ts';
import type { RadialNetwork } from './radial-network.ts';
import type { PricedMatches } from './uniform-auction.ts';

export type Stage = (energyKWh: Float64Array, limits: FlowLimits) => PricedMatches;

export function runStages(
  book: OrderBook,
  network: RadialNetwork,
  energyKWh: Float64Array,
  limits: FlowLimits,
  stages: readonly Stage[],
): PricedMatches {
  const matches: Match[] = [];
  const prices: number[] = [];
  const zones: PricedMatches['zones'] = [];
  for (const stage of stages) {
    const result = stage(energyKWh, limits);
    if (result.matches.length === 0) continue;
    // Stages can return tens of thousands of matches: too many to spread as arguments.
    for (const m of result.matches) matches.push(m);
    for (const p of result.prices) prices.push(p);
    for (const z of result.zones) zones.push(z);
    energyKWh = residualEnergy(book, energyKWh, result.matches);
    limits = remainingLimits(limits, branchFlows(book, network, result.matches));
  }
  return { matches, prices, clearingPrice: null, zones };
}
