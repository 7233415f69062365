// What each member bought, sold, paid and was paid in the interval: local trades, the grid
// fallback and fees, the figures the ledger books and the statements show. Kept apart from
// clearMarket so the clearing itself stays within its time budget; this is linear but allocates
// a record per member.
import type { ClearInput } from './clear-input.ts';
import type { ClearResult } from './clear.ts';
import { chargeFees } from './fees.ts';
import { gridFallback } from './grid-fallback.ts';
import { buildOrderBook, residualEnergy, type Match } from './order-book.ts';
import { buildRadialNetwork } from './radial-network.ts';

export interface MemberSettlement {
  member: string;
  boughtKWh: number;
  soldKWh: number;
  /** Paid to other members for local energy (currency). */
  energyCost: number;
  /** Received from other members for local energy (currency). */
  energyRevenue: number;
  gridImportKWh: number;
  gridExportKWh: number;
  gridCost: number;
  gridRevenue: number;
  /** Demand neither traded nor imported (kWh): only without a grid. */
  unservedKWh: number;
  /** Surplus neither traded nor exported (kWh): only without a grid. */
  curtailedKWh: number;
  fees: number;
  /** Everything the member pays less everything it receives (currency). */
  netCost: number;
}

const FIELDS = 11;
const [BOUGHT, SOLD, COST, REVENUE, IMPORT, EXPORT, GRID_COST, GRID_REVENUE, UNSERVED, CURTAILED, FEES] = [
  0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10,
];

/** Settlements for the roster and every member with an order, sorted by member id. */
export function settleMembers(input: ClearInput, result: ClearResult): MemberSettlement[] {
  const network = buildRadialNetwork(input.network, input.interval.minutes);
  const book = buildOrderBook(input.orders, network, input.network !== undefined);
  const position = new Map(book.orders.map((order, i) => [order.id, i]));
  const matches: Match[] = result.trades.map((t) => ({
    sell: position.get(t.sellOrder)!,
    buy: position.get(t.buyOrder)!,
    energyKWh: t.energyKWh,
  }));
  const prices = result.trades.map((t) => t.price);
  const fallback = gridFallback(
    book.isSell,
    residualEnergy(book, book.energyKWh, matches),
    input.grid,
  ).perOrder;
  const grid = input.grid;
  const roster = input.members ?? [...new Set(book.orders.map((o) => o.member))];
  const feesByMember = chargeFees(
    book,
    network,
    matches,
    prices,
    input.fees,
    input.interval,
    roster,
  ).byMember;

  // Flat columns indexed by member keep this linear in the number of orders and trades.
  const index = new Map<string, number>();
  const names: string[] = [];
  const indexOf = (member: string) => {
    let i = index.get(member);
    if (i === undefined) {
      i = names.length;
      index.set(member, i);
      names.push(member);
    }
    return i;
  };
  for (const member of roster) indexOf(member);
  const orderMember = new Int32Array(book.orders.length);
  for (let i = 0; i < book.orders.length; i++) orderMember[i] = indexOf(book.orders[i]!.member);
  for (const member of feesByMember.keys()) indexOf(member);
  const columns = new Float64Array(names.length * FIELDS);
  const add = (member: number, field: number, value: number) => (columns[member * FIELDS + field] += value);

  for (let k = 0; k < matches.length; k++) {
    const m = matches[k]!;
    const value = prices[k]! * m.energyKWh;
    add(orderMember[m.sell]!, SOLD, m.energyKWh);
    add(orderMember[m.sell]!, REVENUE, value);
    add(orderMember[m.buy]!, BOUGHT, m.energyKWh);
    add(orderMember[m.buy]!, COST, value);
  }
  for (let i = 0; i < book.orders.length; i++) {
    const gridKWh = fallback.gridKWh[i]!;
    const stranded = fallback.strandedKWh[i]!;
    if (gridKWh === 0 && stranded === 0) continue;
    const member = orderMember[i]!;
    if (book.isSell[i]) {
      add(member, EXPORT, gridKWh);
      add(member, GRID_REVENUE, gridKWh * (grid?.exportPrice ?? 0));
      add(member, CURTAILED, stranded);
    } else {
      add(member, IMPORT, gridKWh);
      add(member, GRID_COST, gridKWh * (grid?.importPrice ?? 0));
      add(member, UNSERVED, stranded);
    }
  }
  for (const [member, amount] of feesByMember) add(index.get(member)!, FEES, amount);

  // The default sort compares UTF-16 code units, the same order as compareIds, and natively.
  const sorted = names.slice().sort();
  const settlements = new Array<MemberSettlement>(sorted.length);
  for (let k = 0; k < sorted.length; k++) {
    const c = index.get(sorted[k]!)! * FIELDS;
    settlements[k] = {
      member: sorted[k]!,
      boughtKWh: columns[c + BOUGHT]!,
      soldKWh: columns[c + SOLD]!,
      energyCost: columns[c + COST]!,
      energyRevenue: columns[c + REVENUE]!,
      gridImportKWh: columns[c + IMPORT]!,
      gridExportKWh: columns[c + EXPORT]!,
      gridCost: columns[c + GRID_COST]!,
      gridRevenue: columns[c + GRID_REVENUE]!,
      unservedKWh: columns[c + UNSERVED]!,
      curtailedKWh: columns[c + CURTAILED]!,
      fees: columns[c + FEES]!,
      netCost:
        columns[c + COST]! +
        columns[c + GRID_COST]! +
        columns[c + FEES]! -
        columns[c + REVENUE]! -
        columns[c + GRID_REVENUE]!,
    };
  }
  return settlements;
}
