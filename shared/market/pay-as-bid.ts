// Pay-as-bid: the same welfare-optimal allocation as the uniform auction, each trade struck at
// its buyer's bid — the price mechanism Table 2 of the review gives most platforms.
import { maximiseWelfare, type FlowLimits } from './network-clearing.ts';
import type { OrderBook } from './order-book.ts';
import type { RadialNetwork } from './radial-network.ts';
import { pairAccepted } from './trade-pairing.ts';
import type { PricedMatches } from './uniform-auction.ts';

export function clearPayAsBid(
  book: OrderBook,
  network: RadialNetwork,
  energyKWh: Float64Array,
  limits: FlowLimits,
): PricedMatches {
  const accepted = maximiseWelfare(book, network, energyKWh, book.pricePerKWh, limits);
  const matches = pairAccepted(book, network, accepted);
  return { matches, prices: matches.map((m) => book.pricePerKWh[m.buy]!), clearingPrice: null, zones: [] };
}
