// Fixed rate for designated members or categories, as the Brooklyn Microgrid serves essential
// loads such as a hospital: those buyers are served first, at the fixed rate, by any seller whose
// offer it meets (cheapest first, within branch limits); the rest then clears by an auction.
import type { FixedRateSettings } from './clear-input.ts';
import { maximiseWelfare, type FlowLimits } from './network-clearing.ts';
import type { OrderBook } from './order-book.ts';
import { clearPayAsBid } from './pay-as-bid.ts';
import type { RadialNetwork } from './radial-network.ts';
import { runStages } from './stage-sequence.ts';
import { pairAccepted } from './trade-pairing.ts';
import { clearUniform, type PricedMatches } from './uniform-auction.ts';

export function clearFixedRate(
  book: OrderBook,
  network: RadialNetwork,
  energyKWh: Float64Array,
  limits: FlowLimits,
  settings: FixedRateSettings,
): PricedMatches {
  const rest = settings.rest === 'pay-as-bid' ? clearPayAsBid : clearUniform;
  return runStages(book, network, energyKWh, limits, [
    (energy, stageLimits) => servePriorityLoads(book, network, energy, stageLimits, settings),
    (energy, stageLimits) => rest(book, network, energy, stageLimits),
  ]);
}

/** Whether a buy order belongs to a designated member or category. */
export function isDesignated(order: OrderBook['orders'][number], settings: FixedRateSettings): boolean {
  return (
    order.side === 'buy' &&
    ((settings.members?.includes(order.member) ?? false) ||
      (order.category !== undefined && (settings.categories?.includes(order.category) ?? false)))
  );
}

function servePriorityLoads(
  book: OrderBook,
  network: RadialNetwork,
  energyKWh: Float64Array,
  limits: FlowLimits,
  settings: FixedRateSettings,
): PricedMatches {
  const rate = settings.price;
  const energy = new Float64Array(energyKWh.length);
  // Designated buyers all value energy at the rate, so the allocation serves as much of their
  // load as the sellers at or below the rate and the branches allow, cheapest sellers first.
  const price = Float64Array.from(book.pricePerKWh);
  book.orders.forEach((order, i) => {
    if (order.side === 'sell' && order.price <= rate) energy[i] = energyKWh[i]!;
    if (isDesignated(order, settings) && order.price >= rate) {
      energy[i] = energyKWh[i]!;
      price[i] = rate;
    }
  });
  const accepted = maximiseWelfare(book, network, energy, price, limits);
  const matches = pairAccepted(book, network, accepted);
  return { matches, prices: matches.map(() => rate), clearingPrice: null, zones: [] };
}
