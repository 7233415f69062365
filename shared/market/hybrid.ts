// Hybrid market (Power Ledger, Powerpeers): the full market's bilateral trades and the community
// market's pool together. Buyers' chosen producers are matched first (as in price-match), then
// the community pool shares what members offer at the community price, and an auction clears
// the orders that neither took — pay-as-bid by default, the price mechanism Table 2 gives both.
import type { AuctionMechanism, CommunitySettings } from './clear-input.ts';
import { clearCommunityPool } from './community-pool.ts';
import type { FlowLimits } from './network-clearing.ts';
import type { OrderBook } from './order-book.ts';
import { clearPayAsBid } from './pay-as-bid.ts';
import { matchPreferences } from './price-match.ts';
import type { RadialNetwork } from './radial-network.ts';
import { runStages } from './stage-sequence.ts';
import { clearUniform, type PricedMatches } from './uniform-auction.ts';

export function clearHybrid(
  book: OrderBook,
  network: RadialNetwork,
  energyKWh: Float64Array,
  limits: FlowLimits,
  community: CommunitySettings,
  rest: AuctionMechanism = 'pay-as-bid',
): PricedMatches {
  const auction = rest === 'uniform' ? clearUniform : clearPayAsBid;
  return runStages(book, network, energyKWh, limits, [
    (energy, stageLimits) => matchPreferences(book, network, energy, stageLimits),
    (energy, stageLimits) => clearCommunityPool(book, network, energy, stageLimits, community),
    (energy, stageLimits) => auction(book, network, energy, stageLimits),
  ]);
}
