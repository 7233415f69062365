// Reading the ledger for people: statements, site KPIs and per-member figures over a period, all
// from the figures in force (each interval's original entry or its latest adjustment).
import type { IntervalSettlement } from '../../shared/settlement/interval-settlement.ts';
import { siteKpis, type SiteKpis } from '../../shared/settlement/site-kpis.ts';
import type { SiteSnapshot } from '../../shared/settlement/site-snapshot.ts';
import {
  buildMemberStatement,
  effectiveSettlements,
  StatementError,
  type MemberStatement,
  type StatementEntry,
} from '../../shared/settlement/statement.ts';
import { monthRange } from '../../shared/settlement/settlement-period.ts';
import { ledgerSite, statementEntry } from './ledger-entries.ts';
import type { Ledger } from './ledger.ts';

export function ledgerEntries(ledger: Ledger, fromMs: number, toMs: number): StatementEntry[] {
  return ledger.intervalEntries(fromMs, toMs).map(statementEntry);
}

/** The settlements in force for intervals starting in [fromMs, toMs), in time order. */
export function settlementsInForce(ledger: Ledger, fromMs: number, toMs: number): IntervalSettlement[] {
  return [...effectiveSettlements(ledgerEntries(ledger, fromMs, toMs)).values()]
    .map((e) => e.settlement)
    .sort((a, b) => a.startMs - b.startMs);
}

export function requireSite(ledger: Ledger): SiteSnapshot {
  const site = ledgerSite(ledger);
  if (!site) throw new StatementError('the ledger holds no settled interval yet');
  return site;
}

export function memberStatement(ledger: Ledger, member: string, month: string): MemberStatement {
  const site = requireSite(ledger);
  const { fromMs, toMs } = monthRange(month, site.timezone);
  return buildMemberStatement(site, member, month, ledgerEntries(ledger, fromMs, toMs));
}

export function kpisOver(ledger: Ledger, fromMs: number, toMs: number): SiteKpis {
  return siteKpis(settlementsInForce(ledger, fromMs, toMs), fromMs, toMs);
}
