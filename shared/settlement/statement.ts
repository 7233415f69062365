// A member's monthly statement, built from the ledger's entries for the month's intervals: where
// the member's energy came from (own storage, the pool, neighbours, the grid) and went to, what
// it cost and earned, fees, the allowance, adjustments booked since, the virtual storage account,
// and the savings against buying and selling with the grid alone. Pure: the CLI, the console and
// the tests make identical statements from identical ledgers.
import { memberLineFields, type IntervalSettlement, type MemberLine } from './interval-settlement.ts';
import { localDate } from '../time/zone.ts';
import { monthRange } from './settlement-period.ts';
import type { SiteSnapshot } from './site-snapshot.ts';

/** One ledger entry about an interval of the month, decoded. */
export interface StatementEntry {
  seq: number;
  hash: string;
  kind: 'interval' | 'adjustment';
  bookedMs: number;
  /** For an adjustment, the corrected settlement. */
  settlement: IntervalSettlement;
  delta?: MemberLine[];
  reason?: string;
}

export type LineTotals = Omit<MemberLine, 'member' | 'balanceKWh'>;

export interface StatementMoneyLine {
  label: string;
  kWh: number;
  /** Positive is paid by the member, negative received. */
  amount: number;
  pricePerKWh: number | null;
}

/**
 * The verified, signed ledger head a statement was made under, so an auditor can check it offline:
 * the Ed25519 signature (base64) is over the UTF-8 text
 * `commonwatt.ledger-head/1\n<ledgerId>\n<headSeq>\n<headHash>\n<durability>` with the raw
 * public key (base64), whose SHA-256 is the fingerprint.
 */
export interface LedgerAttestation {
  ledgerId: string;
  headSeq: number;
  headHash: string;
  durability: 'power-loss' | 'process';
  signature: string;
  publicKey: string;
  fingerprint: string;
}

export interface MemberStatement {
  format: 'commonwatt.statement/1';
  site: { id: string; name: string; currency: string; timezone: string; preset: string };
  member: { id: string; name: string; category: string; poolSharePct: number };
  month: string;
  fromMs: number;
  toMs: number;
  intervals: { expected: number; settled: number; flagged: number; islanded: number };
  energy: {
    consumedKWh: number;
    exportedKWh: number;
    fromOwnStorageKWh: number;
    fromPoolKWh: number;
    fromNeighboursKWh: number;
    fromGridKWh: number;
    unservedKWh: number;
    storedKWh: number;
    soldToPoolKWh: number;
    soldToNeighboursKWh: number;
    toGridKWh: number;
    curtailedKWh: number;
  };
  money: {
    lines: StatementMoneyLine[];
    fees: number;
    /** Σ of the original interval bills. */
    billed: number;
    /** Σ of adjustments booked since. */
    adjustments: number;
    /** What the member owes for the month (negative: is owed). */
    total: number;
    gridOnlyCost: number;
    savings: number;
  };
  account: {
    capacityKWh: number;
    openingKWh: number;
    storedKWh: number;
    drawnKWh: number;
    soldKWh: number;
    lossKWh: number;
    closingKWh: number;
  };
  allowance: { usedKWh: number; paybackKWh: number; paybackAmount: number } | null;
  adjustments: Array<{
    seq: number;
    intervalStartMs: number;
    bookedMs: number;
    reason: string;
    importKWh: number;
    exportKWh: number;
    netCost: number;
  }>;
  daily: Array<{ date: string; importKWh: number; exportKWh: number; netCost: number; gridOnlyCost: number }>;
  ledger: { entries: number; firstSeq: number | null; lastSeq: number | null; lastHash: string | null };
  /** The verified head it was made under; null when made without verifying (tests, tools). */
  attestation: LedgerAttestation | null;
}

export function zeroTotals(): LineTotals {
  const t = {} as Record<string, number>;
  for (const f of memberLineFields) if (f !== 'balanceKWh') t[f] = 0;
  return t as LineTotals;
}

export function addLine(totals: LineTotals, line: MemberLine | undefined): void {
  if (!line) return;
  const t = totals as unknown as Record<string, number>;
  for (const f of memberLineFields) if (f !== 'balanceKWh') t[f] = t[f]! + line[f];
}

/** The figures in force for each interval: its original entry, or the latest adjustment of it. */
export function effectiveSettlements(entries: readonly StatementEntry[]): Map<number, StatementEntry> {
  const byStart = new Map<number, StatementEntry>();
  for (const e of [...entries].sort((a, b) => a.seq - b.seq)) byStart.set(e.settlement.startMs, e);
  return byStart;
}

export class StatementError extends Error {
  override name = 'StatementError';
}

export function buildMemberStatement(
  site: SiteSnapshot,
  memberId: string,
  month: string,
  entries: readonly StatementEntry[],
): MemberStatement {
  const member = site.members.find((m) => m.id === memberId);
  if (!member)
    throw new StatementError(
      `member '${memberId}' is not in the ledger's site ${site.siteId}; members are ${site.members.map((m) => m.id).join(', ')}`,
    );
  const { fromMs, toMs } = monthRange(month, site.timezone);
  const inMonth = entries.filter((e) => e.settlement.startMs >= fromMs && e.settlement.startMs < toMs);
  const effective = effectiveSettlements(inMonth);
  const originals = inMonth
    .filter((e) => e.kind === 'interval')
    .sort((a, b) => a.settlement.startMs - b.settlement.startMs);

  const totals = zeroTotals();
  const daily = new Map<
    string,
    { importKWh: number; exportKWh: number; netCost: number; gridOnlyCost: number }
  >();
  let flagged = 0;
  let islanded = 0;
  for (const e of [...effective.values()].sort((a, b) => a.settlement.startMs - b.settlement.startMs)) {
    const s = e.settlement;
    if (s.flags.length > 0) flagged++;
    if (s.mode !== 'grid-connected') islanded++;
    const line = s.members.find((l) => l.member === memberId);
    addLine(totals, line);
    if (!line) continue;
    const date = localDate(s.startMs, site.timezone);
    const day = daily.get(date) ?? { importKWh: 0, exportKWh: 0, netCost: 0, gridOnlyCost: 0 };
    day.importKWh += line.importKWh;
    day.exportKWh += line.exportKWh;
    day.netCost += line.netCost;
    day.gridOnlyCost += line.gridOnlyCost;
    daily.set(date, day);
  }
  let billed = 0;
  for (const e of originals) billed += e.settlement.members.find((l) => l.member === memberId)?.netCost ?? 0;
  const adjustments = inMonth
    .filter((e) => e.kind === 'adjustment')
    .map((e) => {
      const d = e.delta?.find((l) => l.member === memberId);
      return {
        seq: e.seq,
        intervalStartMs: e.settlement.startMs,
        bookedMs: e.bookedMs,
        reason: e.reason ?? '',
        importKWh: d?.importKWh ?? 0,
        exportKWh: d?.exportKWh ?? 0,
        netCost: d?.netCost ?? 0,
      };
    })
    .filter((a) => a.importKWh !== 0 || a.exportKWh !== 0 || a.netCost !== 0);
  const adjusted = adjustments.reduce((t, a) => t + a.netCost, 0);

  const price = (amount: number, kWh: number) => (kWh > 1e-9 ? amount / kWh : null);
  const line = (label: string, kWh: number, amount: number): StatementMoneyLine => ({
    label,
    kWh,
    amount,
    pricePerKWh: price(Math.abs(amount), kWh),
  });
  const lines: StatementMoneyLine[] = [
    line('Energy bought from neighbours', totals.boughtKWh, totals.energyCost),
    line(
      'Energy bought from the community pool',
      totals.poolBoughtKWh - totals.allowanceKWh,
      totals.poolCost,
    ),
    line('Energy imported from the grid', totals.gridImportKWh, totals.gridCost),
    line('Energy sold to neighbours', totals.soldKWh, -totals.energyRevenue),
    line('Energy sold to the community pool', totals.poolSoldKWh, -totals.poolRevenue),
    line('Energy exported to the grid', totals.gridExportKWh, -totals.gridRevenue),
  ];
  if (totals.paybackKWh > 0)
    lines.push(line('Unused allowance paid back', totals.paybackKWh, -totals.paybackRevenue));

  const first = originals[0];
  const last = originals.at(-1);
  const minutes = first?.settlement.minutes ?? site.intervalMinutes;
  const capacity = (member.poolSharePct / 100) * Math.max(0, site.capacityKWh - site.reserveKWh);
  const seqs = inMonth.map((e) => e.seq);
  const lastEntry = inMonth.reduce<StatementEntry | null>((a, e) => (a && a.seq > e.seq ? a : e), null);

  return {
    format: 'commonwatt.statement/1',
    site: {
      id: site.siteId,
      name: site.name,
      currency: site.currency,
      timezone: site.timezone,
      preset: site.preset,
    },
    member: {
      id: member.id,
      name: member.name,
      category: member.category,
      poolSharePct: member.poolSharePct,
    },
    month,
    fromMs,
    toMs,
    intervals: {
      expected: Math.round((toMs - fromMs) / (minutes * 60_000)),
      settled: effective.size,
      flagged,
      islanded,
    },
    energy: {
      consumedKWh: totals.importKWh,
      exportedKWh: totals.exportKWh,
      fromOwnStorageKWh: totals.drawnKWh,
      fromPoolKWh: totals.poolBoughtKWh,
      fromNeighboursKWh: totals.boughtKWh,
      fromGridKWh: totals.gridImportKWh,
      unservedKWh: totals.unservedKWh,
      storedKWh: totals.storedKWh,
      soldToPoolKWh: totals.poolSoldKWh,
      soldToNeighboursKWh: totals.soldKWh,
      toGridKWh: totals.gridExportKWh,
      curtailedKWh: totals.curtailedKWh,
    },
    money: {
      lines,
      fees: totals.fees,
      billed,
      adjustments: adjusted,
      total: totals.netCost,
      gridOnlyCost: totals.gridOnlyCost,
      savings: totals.gridOnlyCost - totals.netCost,
    },
    account: {
      capacityKWh: capacity,
      openingKWh: first?.settlement.opening.storage?.accounts[memberId] ?? 0,
      storedKWh: totals.storedKWh,
      drawnKWh: totals.drawnKWh,
      soldKWh: originals.reduce((t, e) => t + accountSold(e.settlement, memberId), 0),
      lossKWh: totals.lossKWh,
      closingKWh: last?.settlement.members.find((l) => l.member === memberId)?.balanceKWh ?? 0,
    },
    allowance: site.allowance
      ? { usedKWh: totals.allowanceKWh, paybackKWh: totals.paybackKWh, paybackAmount: totals.paybackRevenue }
      : null,
    adjustments,
    daily: [...daily].map(([date, d]) => ({ date, ...d })),
    ledger: {
      entries: inMonth.length,
      firstSeq: seqs.length ? Math.min(...seqs) : null,
      lastSeq: seqs.length ? Math.max(...seqs) : null,
      lastHash: lastEntry?.hash ?? null,
    },
    attestation: null,
  };
}

/** Stored energy the member's account gave up to serve others (the holder's outflow beyond its own draw). */
function accountSold(s: IntervalSettlement, memberId: string): number {
  const h = s.holders.find((x) => x.holder === memberId);
  const drawn = s.members.find((l) => l.member === memberId)?.drawnKWh ?? 0;
  return h ? Math.max(0, h.outKWh - drawn) : 0;
}
