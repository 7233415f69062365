// Rechecks, entry by entry, what holds by construction in a settled interval: money and energy
// balance. A hash chain proves an entry is as it was written; this proves what was written still
// adds up, so an edit whose hashes were recomputed (or a settlement bug) is named at its entry.
// Figures in the ledger are rounded to a millionth each, so every sum has a tolerance of a
// millionth per term it adds.
import {
  EMPTY_STATE,
  memberLineFields,
  type IntervalSettlement,
  type MemberLine,
} from '../../shared/settlement/interval-settlement.ts';
import type { IntervalEnergies } from '../../shared/settlement/interval-energy.ts';
import { canonicalJson } from './canonical-json.ts';
import type { LedgerEntry } from './ledger-entry.ts';
import { decodeAdjustmentPayload, decodeIntervalPayload, decodeSitePayload } from './ledger-payload.ts';

/** Half a millionth (one rounding) per figure in a sum, and a little for the float arithmetic. */
const PER_TERM = 6e-7;

function close(a: number, b: number, terms: number, extra = 0): boolean {
  return Math.abs(a - b) <= PER_TERM * (terms + 1) + extra;
}

const f6 = (v: number) => v.toFixed(6);

/** The net energy each member line must account for, member by member (kWh). */
function lineEnergyProblem(l: MemberLine, accountSoldKWh: number): string | null {
  const metered = l.exportKWh - l.importKWh;
  // Into the pool (credited or sold to it) and the market (sold, exported, curtailed) on one side;
  // out of the pool (own account, bought) and the market (bought, imported, unserved) on the other.
  const accounted =
    l.storedKWh +
    (l.poolSoldKWh - accountSoldKWh) +
    l.soldKWh +
    l.gridExportKWh +
    l.curtailedKWh -
    l.drawnKWh -
    l.poolBoughtKWh -
    l.boughtKWh -
    l.gridImportKWh -
    l.unservedKWh;
  if (!close(metered, accounted, 12))
    return `member ${l.member}'s energy does not balance: metered net ${f6(metered)} kWh, accounted for ${f6(accounted)} kWh`;
  return null;
}

function lineMoneyProblem(l: MemberLine): string | null {
  const net =
    l.poolCost +
    l.energyCost +
    l.gridCost +
    l.fees -
    l.poolRevenue -
    l.energyRevenue -
    l.gridRevenue -
    l.paybackRevenue;
  if (!close(net, l.netCost, 9))
    return `member ${l.member}'s bill does not add up: its charges less credits are ${f6(net)}, its net cost ${f6(l.netCost)}`;
  return null;
}

/** The first thing that does not balance in a settled interval, or null. */
export function settlementProblem(s: IntervalSettlement, energies: IntervalEnergies): string | null {
  const n = s.members.length;
  const sum = (f: (l: MemberLine) => number) => s.members.reduce((t, l) => t + f(l), 0);

  for (const m of energies.members) {
    const line = s.members.find((l) => l.member === m.member);
    if (!line) return `member ${m.member} was metered but has no line`;
    if (!close(line.importKWh, m.importKWh, 1) || !close(line.exportKWh, m.exportKWh, 1))
      return `member ${m.member}'s line (import ${f6(line.importKWh)}, export ${f6(line.exportKWh)} kWh) differs from its metered energy (${f6(m.importKWh)}, ${f6(m.exportKWh)} kWh)`;
  }

  const accountSold = new Map<string, number>();
  for (const h of s.holders) {
    const line = s.members.find((l) => l.member === h.holder);
    if (line) accountSold.set(h.holder, Math.max(0, h.outKWh - line.drawnKWh));
  }
  for (const l of s.members) {
    const problem = lineMoneyProblem(l) ?? lineEnergyProblem(l, accountSold.get(l.member) ?? 0);
    if (problem) return problem;
  }

  // Every local trade: the seller sells what the buyer buys, at the trade's price.
  const sold = new Map<string, { kWh: number; value: number; slack: number }>();
  const bought = new Map<string, { kWh: number; value: number; slack: number }>();
  let tradedKWh = 0;
  for (const [seller, buyer, energyKWh, pricePerKWh] of s.market.trades) {
    if (!(energyKWh >= 0))
      return `a trade from ${seller} to ${buyer} has a negative energy (${energyKWh} kWh)`;
    const slack = PER_TERM * (Math.abs(energyKWh) + Math.abs(pricePerKWh) + 1);
    for (const [map, member] of [
      [sold, seller],
      [bought, buyer],
    ] as const) {
      const t = map.get(member) ?? { kWh: 0, value: 0, slack: 0 };
      t.kWh += energyKWh;
      t.value += energyKWh * pricePerKWh;
      t.slack += slack;
      map.set(member, t);
    }
    tradedKWh += energyKWh;
  }
  for (const l of s.members) {
    const a = sold.get(l.member) ?? { kWh: 0, value: 0, slack: 0 };
    const b = bought.get(l.member) ?? { kWh: 0, value: 0, slack: 0 };
    const trades = s.market.trades.length;
    if (!close(a.kWh, l.soldKWh, trades) || !close(b.kWh, l.boughtKWh, trades))
      return `member ${l.member}'s trades (sold ${f6(a.kWh)}, bought ${f6(b.kWh)} kWh) differ from its line (sold ${f6(l.soldKWh)}, bought ${f6(l.boughtKWh)} kWh)`;
    if (!close(a.value, l.energyRevenue, 1, a.slack) || !close(b.value, l.energyCost, 1, b.slack))
      return `member ${l.member}'s trades are worth ${f6(a.value)} sold and ${f6(b.value)} bought, its line says ${f6(l.energyRevenue)} and ${f6(l.energyCost)}`;
  }
  if (
    !close(
      sum((l) => l.soldKWh),
      sum((l) => l.boughtKWh),
      2 * n,
    )
  )
    return `energy sold to neighbours (${f6(sum((l) => l.soldKWh))} kWh) differs from energy bought from them (${f6(sum((l) => l.boughtKWh))} kWh)`;
  if (!close(tradedKWh, s.market.localKWh, s.market.trades.length + 1))
    return `the trades add up to ${f6(tradedKWh)} kWh, the market's local volume is ${f6(s.market.localKWh)} kWh`;

  const market = s.market;
  const totals: Array<[string, number, number]> = [
    ['grid import (kWh)', sum((l) => l.gridImportKWh), market.gridImportKWh],
    ['grid export (kWh)', sum((l) => l.gridExportKWh), market.gridExportKWh],
    ['grid import cost', sum((l) => l.gridCost), market.importCost],
    ['grid export revenue', sum((l) => l.gridRevenue), market.exportRevenue],
    ['unserved energy (kWh)', sum((l) => l.unservedKWh), market.unservedKWh],
    ['curtailed energy (kWh)', sum((l) => l.curtailedKWh), market.curtailedKWh],
    ['fees', sum((l) => l.fees), market.fees.total],
    [
      'fee total',
      market.fees.network + market.fees.community + market.fees.distributionOperator,
      market.fees.total,
    ],
  ];
  for (const [what, members, booked] of totals)
    if (!close(members, booked, n))
      return `members' ${what} add up to ${f6(members)}, the interval's total is ${f6(booked)}`;

  // Money is conserved: what members pay net is what the grid, the community and the operator get.
  const membersNetCost = sum((l) => l.netCost);
  if (!close(membersNetCost, s.money.membersNetCost, n))
    return `members' net costs add up to ${f6(membersNetCost)}, the interval records ${f6(s.money.membersNetCost)}`;
  const grid = market.importCost - market.exportRevenue + s.pool.gridCost - s.pool.gridRevenue;
  const community =
    market.fees.community +
    sum((l) => l.poolCost) -
    sum((l) => l.poolRevenue) -
    sum((l) => l.paybackRevenue) -
    s.pool.gridCost +
    s.pool.gridRevenue;
  const operator = market.fees.network + market.fees.distributionOperator;
  for (const [party, recomputed, booked] of [
    ['grid supplier', grid, s.money.grid],
    ['community fund', community, s.money.community],
    ['distribution operator', operator, s.money.distributionOperator],
  ] as const)
    if (!close(recomputed, booked, 3 * n))
      return `the ${party} receives ${f6(booked)} by the interval's record, ${f6(recomputed)} by its lines`;
  const received = s.money.grid + s.money.community + s.money.distributionOperator;
  if (!close(membersNetCost, received, 4 * n))
    return `money does not balance: members pay ${f6(membersNetCost)} net, the grid, community and operator receive ${f6(received)}`;

  // Each member's account balance is the closing state's.
  const accounts = s.closing.storage?.accounts ?? {};
  for (const l of s.members)
    if (!close(l.balanceKWh, accounts[l.member] ?? 0, 1))
      return `member ${l.member}'s account balance ${f6(l.balanceKWh)} kWh differs from the closing state's ${f6(accounts[l.member] ?? 0)} kWh`;
  return null;
}

/**
 * Walks entries in order and names what does not balance; carries what one entry promises the
 * next (the closing state, the site in force), so a changed balance between entries is caught.
 */
export class BalanceChecker {
  private stateText = canonicalJson(EMPTY_STATE);
  private siteId: string | null = null;
  private readonly originals = new Map<number, number>();

  constructor(private readonly bySeq: (seq: number) => LedgerEntry | undefined) {}

  /** A problem with the entry, or null when it balances. */
  check(e: LedgerEntry): string | null {
    try {
      return this.checkEntry(e);
    } catch (error) {
      return `cannot be read: ${(error as Error).message}`;
    }
  }

  private checkEntry(e: LedgerEntry): string | null {
    if (e.kind === 'site') {
      const site = decodeSitePayload(e.payload);
      if (!site || typeof site.siteId !== 'string') return 'holds no site snapshot';
      this.siteId = site.siteId;
      return null;
    }
    if (e.kind !== 'interval' && e.kind !== 'adjustment')
      return `is of an unknown kind '${String(e.kind as string)}'`;
    if (this.siteId === null) return 'settles an interval before any site snapshot';
    if (e.kind === 'interval') {
      const { settlement: s, energies } = decodeIntervalPayload(e.payload);
      const header = this.headerProblem(e, s);
      if (header) return header;
      if (e.key !== `interval:${s.startMs}`) return `has key '${e.key}', not interval:${s.startMs}`;
      if (canonicalJson(s.opening) !== this.stateText)
        return 'opens from a state other than the one the entry before it closed with (balances changed between entries)';
      const problem = settlementProblem(s, energies);
      if (problem) return problem;
      this.originals.set(s.startMs, e.seq);
      this.stateText = canonicalJson(s.closing);
      return null;
    }
    const a = decodeAdjustmentPayload(e.payload);
    const header = this.headerProblem(e, a.settlement);
    if (header) return header;
    if (a.startMs !== a.settlement.startMs) return 'corrects a different interval than it settles';
    if (this.originals.get(a.startMs) !== a.correctsSeq)
      return `says it corrects entry ${a.correctsSeq}, which is not the interval's original entry`;
    const replaced = a.replacesSeq < e.seq ? this.bySeq(a.replacesSeq) : undefined;
    if (!replaced || replaced.intervalStartMs !== a.startMs)
      return `says it replaces entry ${a.replacesSeq}, which is not an earlier entry about the same interval`;
    const before =
      replaced.kind === 'interval'
        ? decodeIntervalPayload(replaced.payload).settlement
        : decodeAdjustmentPayload(replaced.payload).settlement;
    const problem = settlementProblem(a.settlement, a.energies);
    if (problem) return problem;
    // The difference it books is the corrected figures less those it replaces.
    const ids = new Set([...a.settlement.members, ...before.members].map((l) => l.member));
    for (const id of ids) {
      const after = a.settlement.members.find((l) => l.member === id);
      const prior = before.members.find((l) => l.member === id);
      const d = a.delta.find((l) => l.member === id);
      for (const f of memberLineFields) {
        const expected = (after?.[f] ?? 0) - (prior?.[f] ?? 0);
        if (!close(d?.[f] ?? 0, expected, 3))
          return `books a difference of ${f6(d?.[f] ?? 0)} in member ${id}'s ${f}, but the figures it replaces differ by ${f6(expected)}`;
      }
    }
    this.stateText = canonicalJson(a.state);
    return null;
  }

  private headerProblem(e: LedgerEntry, s: IntervalSettlement): string | null {
    if (s.startMs !== e.intervalStartMs)
      return `settles the interval starting ${new Date(s.startMs).toISOString()} but is filed under another`;
    if (s.siteId !== this.siteId) return `settles site '${s.siteId}' under the snapshot of '${this.siteId}'`;
    return null;
  }
}
