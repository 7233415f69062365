// Charges on local trades: network use per kWh (optionally growing with the distance between
// seller and buyer, as DUoS does), the community's fee per kWh or per month, and the share of
// each trade's value that goes to the distribution operator (Power Ledger).
import type { FeeSettings } from './clear-input.ts';
import type { Match, OrderBook } from './order-book.ts';
import { distanceKm, type RadialNetwork } from './radial-network.ts';

export interface FeeTotals {
  network: number;
  community: number;
  distributionOperator: number;
  total: number;
}

export interface FeeCharges {
  /** What each member pays in fees this interval (currency). */
  byMember: Map<string, number>;
  totals: FeeTotals;
}

export function chargeFees(
  book: OrderBook,
  network: RadialNetwork,
  matches: readonly Match[],
  prices: readonly number[],
  fees: FeeSettings | undefined,
  interval: { start: string; minutes: number },
  roster: readonly string[],
): FeeCharges {
  const byMember = new Map<string, number>();
  const totals: FeeTotals = { network: 0, community: 0, distributionOperator: 0, total: 0 };
  if (!fees) return { byMember, totals };
  const charge = (member: string, amount: number) =>
    byMember.set(member, (byMember.get(member) ?? 0) + amount);
  const buyerShare = fees.payer === 'seller' ? 0 : fees.payer === 'split' ? 0.5 : 1;
  matches.forEach((m, i) => {
    const seller = book.orders[m.sell]!.member;
    const buyer = book.orders[m.buy]!.member;
    const km = fees.networkPerKWhPerKm ? distanceKm(network, book.bus[m.sell]!, book.bus[m.buy]!) : 0;
    const networkFee = ((fees.networkPerKWh ?? 0) + (fees.networkPerKWhPerKm ?? 0) * km) * m.energyKWh;
    const communityFee = (fees.communityPerKWh ?? 0) * m.energyKWh;
    const perKWhFees = networkFee + communityFee;
    // The operator's share comes out of the seller's proceeds; a trade at a negative price has none.
    const operatorShare = (fees.dsoShare ?? 0) * Math.max(0, prices[i]! * m.energyKWh);
    if (perKWhFees > 0) {
      charge(buyer, perKWhFees * buyerShare);
      charge(seller, perKWhFees * (1 - buyerShare));
    }
    if (operatorShare > 0) charge(seller, operatorShare);
    totals.network += networkFee;
    totals.community += communityFee;
    totals.distributionOperator += operatorShare;
  });
  if (fees.communityPerMonth) {
    const share = fees.communityPerMonth * monthFraction(interval.start, interval.minutes);
    for (const member of roster) {
      charge(member, share);
      totals.community += share;
    }
  }
  totals.total = totals.network + totals.community + totals.distributionOperator;
  return { byMember, totals };
}

/**
 * The interval's share of its calendar month (UTC), so that a month's intervals add up to
 * exactly one monthly fee whatever the month's length.
 */
export function monthFraction(startIso: string, minutes: number): number {
  const start = new Date(startIso);
  const daysInMonth = new Date(Date.UTC(start.getUTCFullYear(), start.getUTCMonth() + 1, 0)).getUTCDate();
  return minutes / (daysInMonth * 24 * 60);
}
