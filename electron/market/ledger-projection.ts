// Columns derived from the ledger's entries, for the console's views over any period: one row per
// member per entry and one per entry with the interval's figures, with `effective` marking the
// figures in force (an adjustment retires the rows it replaces). Written in the same transaction
// as the entry; not part of the hash chain, and rebuilt from the entries whenever it is behind,
// so it can never disagree with them for long. Statements are made from the entries themselves.
import {
  memberLineFields,
  type IntervalSettlement,
  type MemberLine,
} from '../../shared/settlement/interval-settlement.ts';
import type { SiteKpis } from '../../shared/settlement/site-kpis.ts';
import type { LineTotals } from '../../shared/settlement/statement.ts';
import { statementEntry } from './ledger-entries.ts';
import type { Ledger } from './ledger.ts';

/** Column names: importKWh → import_kwh, co2AvoidedKg → co2_avoided_kg. */
const snake = (name: string) => name.replace(/KWh/g, 'Kwh').replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
/** The member figures the console's views sum over periods; statements read the entries for the rest. */
export const projectedLineFields = [
  'importKWh',
  'exportKWh',
  'storedKWh',
  'drawnKWh',
  'poolBoughtKWh',
  'poolSoldKWh',
  'boughtKWh',
  'soldKWh',
  'gridImportKWh',
  'gridExportKWh',
  'fees',
  'netCost',
  'gridOnlyCost',
  'balanceKWh',
] as const satisfies ReadonlyArray<(typeof memberLineFields)[number]>;
const lineColumns = projectedLineFields.map(snake);

const figureFields = [
  ['demandKWh', (s: IntervalSettlement) => s.kpi.demandKWh],
  ['consumptionKWh', (s: IntervalSettlement) => s.kpi.consumptionKWh],
  ['localTradeKWh', (s: IntervalSettlement) => s.kpi.localTradeKWh],
  ['poolServedKWh', (s: IntervalSettlement) => s.kpi.poolServedKWh],
  ['gridImportKWh', (s: IntervalSettlement) => s.kpi.gridImportKWh],
  ['gridExportKWh', (s: IntervalSettlement) => s.kpi.gridExportKWh],
  ['locallySuppliedKWh', (s: IntervalSettlement) => s.kpi.locallySuppliedKWh],
  ['welfare', (s: IntervalSettlement) => s.kpi.welfare],
  ['keptInCommunity', (s: IntervalSettlement) => s.kpi.keptInCommunity],
  ['co2AvoidedKg', (s: IntervalSettlement) => s.kpi.co2AvoidedKg],
  ['savings', (s: IntervalSettlement) => s.kpi.savings],
  ['membersNetCost', (s: IntervalSettlement) => s.money.membersNetCost],
  ['grid', (s: IntervalSettlement) => s.money.grid],
  ['community', (s: IntervalSettlement) => s.money.community],
  ['distributionOperator', (s: IntervalSettlement) => s.money.distributionOperator],
  ['poolLossesKWh', (s: IntervalSettlement) => s.pool.lossesKWh],
  ['unservedKWh', (s: IntervalSettlement) => s.market.unservedKWh],
  ['curtailedKWh', (s: IntervalSettlement) => s.market.curtailedKWh],
  [
    'reconciliationErrorKWh',
    (s: IntervalSettlement) => Math.max(Math.abs(s.pool.flowErrorKWh), Math.abs(s.pool.stockErrorKWh)),
  ],
  ['conservationError', (s: IntervalSettlement) => Math.abs(s.money.conservationError)],
  ['storedEndKWh', (s: IntervalSettlement) => s.pool.storedEndKWh],
  ['communityKWh', (s: IntervalSettlement) => s.closing.storage?.communityKWh ?? 0],
  ['reserveKWh', (s: IntervalSettlement) => s.closing.storage?.reserveKWh ?? 0],
  [
    'accountsKWh',
    (s: IntervalSettlement) => Object.values(s.closing.storage?.accounts ?? {}).reduce((t, v) => t + v, 0),
  ],
  ['socEnd', (s: IntervalSettlement) => s.pool.socEnd ?? -1],
] as const;
const figureColumns = figureFields.map(([name]) => snake(name));

export function ensureProjection(ledger: Ledger): void {
  const db = ledger.connection;
  // Derived data: when its columns are not the ones this program writes, rebuild it from the entries.
  const has = (table: string, columns: string[]) => {
    const present = new Set(
      (db.prepare(`PRAGMA table_info(${table})`).all() as Array<{ name: string }>).map((c) => c.name),
    );
    return present.size === 0 || columns.every((c) => present.has(c));
  };
  if (!has('line', lineColumns) || !has('figures', figureColumns))
    db.exec('DROP TABLE IF EXISTS line; DROP TABLE IF EXISTS figures;');
  db.exec(`
    CREATE TABLE IF NOT EXISTS line (
      seq INTEGER NOT NULL, start_ms INTEGER NOT NULL, member TEXT NOT NULL, effective INTEGER NOT NULL,
      ${lineColumns.map((c) => `${c} REAL NOT NULL`).join(', ')},
      PRIMARY KEY (seq, member)
    ) WITHOUT ROWID;
    CREATE INDEX IF NOT EXISTS line_start ON line (start_ms);
    CREATE TABLE IF NOT EXISTS figures (
      seq INTEGER PRIMARY KEY, start_ms INTEGER NOT NULL, effective INTEGER NOT NULL,
      mode TEXT NOT NULL, flags TEXT NOT NULL, alarms INTEGER NOT NULL,
      ${figureColumns.map((c) => `${c} REAL NOT NULL`).join(', ')}
    );
    CREATE INDEX IF NOT EXISTS figures_start ON figures (start_ms);
  `);
}

/** Adds an entry's rows and retires those of earlier entries for the same interval; inside the entry's transaction. */
export function project(ledger: Ledger, seq: number, s: IntervalSettlement): void {
  ledger.stmt('UPDATE line SET effective = 0 WHERE start_ms = ? AND seq < ?').run(s.startMs, seq);
  ledger.stmt('UPDATE figures SET effective = 0 WHERE start_ms = ? AND seq < ?').run(s.startMs, seq);
  const insertLine = ledger.stmt(
    `INSERT OR REPLACE INTO line (seq, start_ms, member, effective, ${lineColumns.join(', ')})
     VALUES (?, ?, ?, 1, ${lineColumns.map(() => '?').join(', ')})`,
  );
  for (const l of s.members)
    insertLine.run(seq, s.startMs, l.member, ...projectedLineFields.map((f) => l[f]));
  ledger
    .stmt(
      `INSERT OR REPLACE INTO figures (seq, start_ms, effective, mode, flags, alarms, ${figureColumns.join(', ')})
     VALUES (?, ?, 1, ?, ?, ?, ${figureColumns.map(() => '?').join(', ')})`,
    )
    .run(
      seq,
      s.startMs,
      s.mode,
      s.flags.join(','),
      s.alarms.length,
      ...figureFields.map(([, get]) => get(s)),
    );
}

/** Catches the projection up with the entries (after an upgrade, or if it was deleted). */
export function catchUpProjection(ledger: Ledger): number {
  ensureProjection(ledger);
  const db = ledger.connection;
  const done = (db.prepare('SELECT max(seq) AS s FROM figures').get() as { s: number | null }).s ?? 0;
  const rows = db
    .prepare("SELECT seq FROM entry WHERE seq > ? AND kind IN ('interval', 'adjustment') ORDER BY seq")
    .all(done) as Array<{ seq: number }>;
  if (rows.length === 0) return 0;
  db.transaction(() => {
    for (const { seq } of rows) project(ledger, seq, statementEntry(ledger.bySeq(seq)!).settlement);
  })();
  return rows.length;
}

type SummedField = Exclude<(typeof projectedLineFields)[number], 'balanceKWh'>;
export type MemberPeriodRow = Pick<LineTotals, SummedField> & {
  member: string;
  intervals: number;
};

const summedFields = projectedLineFields.filter((f): f is SummedField => f !== 'balanceKWh');

/** Each member's lines summed over intervals starting in [fromMs, toMs), figures in force. */
export function memberTotals(
  ledger: Ledger,
  fromMs: number,
  toMs: number,
  member?: string,
): MemberPeriodRow[] {
  const fields = summedFields;
  const rows = ledger
    .stmt(
      `SELECT member, count(*) AS intervals, ${fields.map((f) => `sum(${snake(f)}) AS ${f}`).join(', ')}
       FROM line WHERE effective = 1 AND start_ms >= ? AND start_ms < ? ${member ? 'AND member = ?' : ''}
       GROUP BY member ORDER BY member`,
    )
    .all(...(member ? [fromMs, toMs, member] : [fromMs, toMs])) as MemberPeriodRow[];
  return rows;
}

const DAY_MS = 86_400_000;
/** Days of totals kept: a year and a month of any periods viewed. */
const MAX_CACHED_DAYS = 400;

/**
 * Members' totals over a period, from per-member sums of whole (UTC) days kept between calls: a
 * month sums 130,000 line rows, some 130 ms on the main thread for every refresh of the members
 * view, where the cache sums only the days that changed and the partial days at the ends. A day is
 * recomputed when lines with a newer sequence number touch it (a new interval, or an adjustment
 * retiring an older line), whichever process booked them.
 */
export class MemberTotalsCache {
  private readonly days = new Map<number, MemberPeriodRow[]>();
  private seenSeq = 0;

  constructor(private readonly ledger: Ledger) {}

  totals(fromMs: number, toMs: number): MemberPeriodRow[] {
    const firstDay = Math.ceil(fromMs / DAY_MS);
    const endDay = Math.floor(toMs / DAY_MS);
    if (endDay - firstDay < 2) return memberTotals(this.ledger, fromMs, toMs);
    this.forgetChangedDays();
    const parts = [
      memberTotals(this.ledger, fromMs, firstDay * DAY_MS),
      memberTotals(this.ledger, endDay * DAY_MS, toMs),
    ];
    for (let day = firstDay; day < endDay; day++) {
      let rows = this.days.get(day);
      if (!rows) {
        rows = memberTotals(this.ledger, day * DAY_MS, (day + 1) * DAY_MS);
        if (this.days.size >= MAX_CACHED_DAYS) this.days.delete(this.days.keys().next().value!);
        this.days.set(day, rows);
      }
      parts.push(rows);
    }
    const byMember = new Map<string, MemberPeriodRow>();
    for (const rows of parts)
      for (const row of rows) {
        const sum = byMember.get(row.member);
        if (!sum) byMember.set(row.member, { ...row });
        else {
          sum.intervals += row.intervals;
          for (const f of summedFields) sum[f] += row[f];
        }
      }
    return [...byMember.values()].sort((a, b) => (a.member < b.member ? -1 : a.member > b.member ? 1 : 0));
  }

  private forgetChangedDays(): void {
    const top =
      (this.ledger.stmt('SELECT max(seq) AS top FROM line').get() as { top: number | null }).top ?? 0;
    if (top < this.seenSeq) this.days.clear();
    else if (top > this.seenSeq && this.days.size > 0)
      for (const { day } of this.ledger
        .stmt(`SELECT DISTINCT start_ms / ${DAY_MS} AS day FROM line WHERE seq > ?`)
        .all(this.seenSeq) as Array<{ day: number }>)
        this.days.delete(day);
    this.seenSeq = top;
  }
}

/** Site KPIs over [fromMs, toMs) from the projection: the same sums as siteKpis, in SQL. */
export function projectedKpis(ledger: Ledger, fromMs: number, toMs: number): SiteKpis {
  const sums = figureFields
    .slice(0, 18)
    .map(([name]) => `coalesce(sum(${snake(name)}), 0) AS ${name}`)
    .join(', ');
  const r = ledger.connection
    .prepare(
      `SELECT count(*) AS intervals,
         coalesce(sum(mode <> 'grid-connected'), 0) AS islanded,
         coalesce(sum(flags <> ''), 0) AS flagged,
         coalesce(sum(alarms), 0) AS alarms,
         coalesce(max(reconciliation_error_kwh), 0) AS recon,
         coalesce(max(conservation_error), 0) AS conservation,
         ${sums}
       FROM figures WHERE effective = 1 AND start_ms >= ? AND start_ms < ?`,
    )
    .get(fromMs, toMs) as Record<string, number>;
  return {
    fromMs,
    toMs,
    intervals: r.intervals!,
    islandedIntervals: r.islanded!,
    flaggedIntervals: r.flagged!,
    demandKWh: r.demandKWh!,
    consumptionKWh: r.consumptionKWh!,
    localTradeKWh: r.localTradeKWh!,
    poolServedKWh: r.poolServedKWh!,
    localVolumeKWh: r.localTradeKWh! + r.poolServedKWh!,
    gridImportKWh: r.gridImportKWh!,
    gridExportKWh: r.gridExportKWh!,
    locallySuppliedKWh: r.locallySuppliedKWh!,
    selfSufficiency: r.demandKWh! > 0 ? r.locallySuppliedKWh! / r.demandKWh! : null,
    welfare: r.welfare!,
    keptInCommunity: r.keptInCommunity!,
    co2AvoidedKg: r.co2AvoidedKg!,
    savings: r.savings!,
    money: {
      membersNetCost: r.membersNetCost!,
      grid: r.grid!,
      community: r.community!,
      distributionOperator: r.distributionOperator!,
    },
    poolLossesKWh: r.poolLossesKWh!,
    unservedKWh: r.unservedKWh!,
    curtailedKWh: r.curtailedKWh!,
    maxReconciliationErrorKWh: r.recon!,
    maxConservationError: r.conservation!,
    alarms: r.alarms!,
  };
}

export interface StoragePoint {
  startMs: number;
  storedKWh: number;
  accountsKWh: number;
  communityKWh: number;
  reserveKWh: number;
  socEnd: number | null;
}

/** The pool's holdings at each interval end, thinned to at most `points` evenly spaced rows. */
export function storageSeries(ledger: Ledger, fromMs: number, toMs: number, points = 500): StoragePoint[] {
  const db = ledger.connection;
  const n = (
    db
      .prepare('SELECT count(*) AS n FROM figures WHERE effective = 1 AND start_ms >= ? AND start_ms < ?')
      .get(fromMs, toMs) as {
      n: number;
    }
  ).n;
  const every = Math.max(1, Math.ceil(n / points));
  const rows = db
    .prepare(
      `SELECT start_ms, stored_end_kwh, accounts_kwh, community_kwh, reserve_kwh, soc_end FROM (
         SELECT *, row_number() OVER (ORDER BY start_ms) AS k FROM figures
         WHERE effective = 1 AND start_ms >= ? AND start_ms < ?)
       WHERE (k - 1) % ? = 0 ORDER BY start_ms`,
    )
    .all(fromMs, toMs, every) as Array<Record<string, number>>;
  return rows.map((r) => ({
    startMs: r.start_ms!,
    storedKWh: r.stored_end_kwh!,
    accountsKWh: r.accounts_kwh!,
    communityKWh: r.community_kwh!,
    reserveKWh: r.reserve_kwh!,
    socEnd: r.soc_end! < 0 ? null : r.soc_end!,
  }));
}

export type ProjectedLine = Pick<MemberLine, (typeof projectedLineFields)[number]> & {
  seq: number;
  startMs: number;
  mode: string;
  flags: string;
};

/** A member's lines in force over [fromMs, toMs), newest first, at most `limit`. */
export function memberLines(
  ledger: Ledger,
  member: string,
  fromMs: number,
  toMs: number,
  limit: number,
): ProjectedLine[] {
  return ledger.connection
    .prepare(
      `SELECT l.seq AS seq, l.start_ms AS startMs, f.mode AS mode, f.flags AS flags,
         ${projectedLineFields.map((f) => `l.${snake(f)} AS ${f}`).join(', ')}
       FROM line l JOIN figures f ON f.seq = l.seq
       WHERE l.effective = 1 AND l.member = ? AND l.start_ms >= ? AND l.start_ms < ?
       ORDER BY l.start_ms DESC LIMIT ?`,
    )
    .all(member, fromMs, toMs, limit) as ProjectedLine[];
}
