// Clears one settlement interval: turns the order book into priced local trades under the site's
// mechanism and network limits, sends what is left to the grid and totals the fees (per-member
// statements come from settleMembers). Pure and synchronous so the console can run it in a
// worker, off the UI's critical path.
import type { ClearInput, Mechanism } from './clear-input.ts';
import { clearCommunityPool } from './community-pool.ts';
import { chargeFees, type FeeTotals } from './fees.ts';
import { clearFixedRate } from './fixed-rate.ts';
import { gridFallback, type GridExchange } from './grid-fallback.ts';
import { clearHybrid } from './hybrid.ts';
import { branchFlows, networkLimits, type FlowLimits } from './network-clearing.ts';
import { buildOrderBook, residualEnergy, type OrderBook } from './order-book.ts';
import { clearPayAsBid } from './pay-as-bid.ts';
import { clearPriceMatch } from './price-match.ts';
import { buildRadialNetwork, type RadialNetwork } from './radial-network.ts';
import { clearUniform, type PriceZone, type PricedMatches } from './uniform-auction.ts';

/** One local trade; field names are the interchange format's. */
export interface Trade {
  sellOrder: string;
  buyOrder: string;
  seller: string;
  buyer: string;
  energyKWh: number;
  /** currency/kWh */
  price: number;
}

export interface BranchFlow {
  branch: string;
  from: string;
  to: string;
  /** Net local-trade energy towards the root; negative when it flows away from it (kWh). */
  energyKWh: number;
  /** capacityKW × the interval's hours; null for a branch without capacity. */
  limitKWh: number | null;
}

export interface ClearResult {
  mechanism: Mechanism;
  /** The one price of every local trade; null for other mechanisms, zonal prices, or no trade. */
  clearingPrice: number | null;
  trades: Trade[];
  /** Σ over trades of (bid − offer) × energy (currency). */
  welfare: number;
  /** Energy traded locally (kWh). */
  localKWh: number;
  /** Zonal prices, when branch limits leave no single uniform price; empty otherwise. */
  zones: PriceZone[];
  branches: BranchFlow[];
  grid: GridExchange;
  fees: FeeTotals;
}

/** Clears an input that parseClearInput has accepted. */
export function clearMarket(input: ClearInput): ClearResult {
  const network = buildRadialNetwork(input.network, input.interval.minutes);
  const book = buildOrderBook(input.orders, network, input.network !== undefined);
  const limits = networkLimits(network);
  const energy = book.energyKWh;
  const priced = clearByMechanism(input, book, network, energy, limits);
  const { matches, prices } = priced;

  const trades: Trade[] = matches.map((m, i) => ({
    sellOrder: book.orders[m.sell]!.id,
    buyOrder: book.orders[m.buy]!.id,
    seller: book.orders[m.sell]!.member,
    buyer: book.orders[m.buy]!.member,
    energyKWh: m.energyKWh,
    price: prices[i]!,
  }));
  let welfare = 0;
  let localKWh = 0;
  for (const m of matches) {
    welfare += (book.pricePerKWh[m.buy]! - book.pricePerKWh[m.sell]!) * m.energyKWh;
    localKWh += m.energyKWh;
  }

  const flow = branchFlows(book, network, matches);
  const branches: BranchFlow[] = network.buses.slice(1).map((to, i) => ({
    branch: network.branchId[i + 1]!,
    from: network.buses[network.parent[i + 1]!]!,
    to,
    energyKWh: flow[i + 1]!,
    limitKWh: Number.isFinite(network.limitKWh[i + 1]!) ? network.limitKWh[i + 1]! : null,
  }));

  const residual = residualEnergy(book, energy, matches);
  const fallback = gridFallback(book.isSell, residual, input.grid);
  // Members without an order this interval still owe the monthly fee when a roster is given.
  const roster =
    input.members ?? (input.fees?.communityPerMonth ? [...new Set(book.orders.map((o) => o.member))] : []);
  const fees = chargeFees(book, network, matches, prices, input.fees, input.interval, roster);

  return {
    mechanism: input.mechanism,
    clearingPrice: priced.clearingPrice,
    trades,
    welfare,
    localKWh,
    zones: priced.zones,
    branches,
    grid: fallback.exchange,
    fees: fees.totals,
  };
}

function clearByMechanism(
  input: ClearInput,
  book: OrderBook,
  network: RadialNetwork,
  energy: Float64Array,
  limits: FlowLimits,
): PricedMatches {
  switch (input.mechanism) {
    case 'uniform':
      return clearUniform(book, network, energy, limits);
    case 'pay-as-bid':
      return clearPayAsBid(book, network, energy, limits);
    case 'fixed-rate':
      return clearFixedRate(book, network, energy, limits, required(input.fixedRate, 'fixedRate'));
    case 'price-match':
      return clearPriceMatch(book, network, energy, limits, input.community);
    case 'community':
      return clearCommunityPool(book, network, energy, limits, required(input.community, 'community'));
    case 'hybrid':
      return clearHybrid(
        book,
        network,
        energy,
        limits,
        required(input.community, 'community'),
        input.hybrid?.rest,
      );
  }
}

function required<T>(value: T | undefined, key: string): T {
  if (value === undefined) throw new Error(`${key}: required by the mechanism; run parseClearInput first`);
  return value;
}
