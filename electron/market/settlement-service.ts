// The settlement API's answers, over the ledger and its projection: status, members, one member's
// figures, the virtual storage beside the physical pool, KPIs, statements, re-settlement and
// verification. Kept apart from the console part so it runs in tests on a ledger alone.
import type {
  LedgerVerifyResult,
  MemberDetail,
  MemberPeriodSummary,
  MembersOverview,
  ResettleResult,
  SettledIntervalRow,
  SettlementStatus,
  StorageOverview,
} from '../../shared/api/settlement-api.ts';
import type { IntervalEnergies } from '../../shared/settlement/interval-energy.ts';
import { monthRange } from '../../shared/settlement/settlement-period.ts';
import { localMonth } from '../../shared/time/zone.ts';
import type { SiteKpis } from '../../shared/settlement/site-kpis.ts';
import { accountCapacityKWh } from '../../shared/storage/storage-settings.ts';
import type { IntervalSettler } from './interval-settler.ts';
import { statementEntry } from './ledger-entries.ts';
import {
  memberLines,
  memberTotals,
  MemberTotalsCache,
  projectedKpis,
  storageSeries,
  type MemberPeriodRow,
} from './ledger-projection.ts';
import type { IntervalSource, LiveSettlement } from './live-settlement.ts';
import { LedgerVerification } from './ledger-verification.ts';
import type { LedgerAttestation } from '../../shared/settlement/statement.ts';
import { buildStatement, type BuiltStatement, type StatementFormats } from './statement-build.ts';
import { ApiRefusal } from '../platform/api-refusal.ts';

export class SettlementService {
  private readonly totals: MemberTotalsCache;

  constructor(
    private readonly settler: IntervalSettler,
    private readonly options: {
      live: LiveSettlement | null;
      source: IntervalSource | null;
      liveSoc: () => number | null;
      now: () => number;
      /** Builds statements off the main thread (statement-client.ts); in process when absent. */
      statements?: (
        member: string,
        month: string,
        formats: StatementFormats,
        attestation: LedgerAttestation,
      ) => Promise<BuiltStatement>;
      log?: (message: string) => void;
    },
  ) {
    this.totals = new MemberTotalsCache(settler.ledger);
    // Verified in full once here; then only what is appended (see ledger-verification.ts).
    this.verification = new LedgerVerification(settler.ledger, options.log);
  }

  readonly verification: LedgerVerification;

  /** Verifies the whole ledger again (`settlement/verify`). */
  verify(): LedgerVerifyResult {
    return this.verification.full();
  }

  private get ledger() {
    return this.settler.ledger;
  }

  private get site() {
    return this.settler.site;
  }

  status(): SettlementStatus {
    const span = this.ledger.intervalSpan();
    const last = this.ledger.last();
    // Of the last 96 entries, only those with alarms are decoded (the projection counts them).
    const recent = this.ledger
      .stmt('SELECT seq FROM figures WHERE alarms > 0 AND seq > ? ORDER BY seq DESC LIMIT 20')
      .all(Math.max(0, (last?.seq ?? 0) - 96)) as Array<{ seq: number }>;
    const recentAlarms: SettlementStatus['recentAlarms'] = [];
    for (const { seq } of recent) {
      const s = statementEntry(this.ledger.bySeq(seq)!).settlement;
      for (const message of s.alarms) recentAlarms.push({ startMs: s.startMs, message });
    }
    const live = this.options.live;
    return {
      intervalMinutes: this.site.market.intervalMinutes,
      automatic: live !== null,
      delaySeconds: (live?.timing.delayMs ?? 0) / 1000,
      lateBoundSeconds: (live?.timing.lateBoundMs ?? 0) / 1000,
      entries: this.ledger.count(),
      headHash: last?.hash ?? null,
      firstSettledStartMs: span?.firstMs ?? null,
      lastSettledStartMs: span?.lastMs ?? null,
      nextStartMs: live?.next() ?? null,
      nextDueMs: live?.dueMs() ?? null,
      recentAlarms: recentAlarms.slice(0, 50),
      currency: this.site.site.currency,
    };
  }

  private summary(row: MemberPeriodRow | undefined, member: string): MemberPeriodSummary {
    const def = this.site.members.find((m) => m.id === member);
    const state = this.settler.currentState();
    const r = row ?? ({} as Partial<MemberPeriodRow>);
    const n = (v: number | undefined) => v ?? 0;
    return {
      member,
      name: def?.name ?? member,
      category: def?.category ?? 'unknown',
      poolSharePct: def?.poolSharePct ?? 0,
      intervals: n(r.intervals),
      importKWh: n(r.importKWh),
      exportKWh: n(r.exportKWh),
      fromOwnStorageKWh: n(r.drawnKWh),
      fromPoolKWh: n(r.poolBoughtKWh),
      boughtKWh: n(r.boughtKWh),
      soldKWh: n(r.soldKWh),
      storedKWh: n(r.storedKWh),
      soldToPoolKWh: n(r.poolSoldKWh),
      gridImportKWh: n(r.gridImportKWh),
      gridExportKWh: n(r.gridExportKWh),
      fees: n(r.fees),
      netCost: n(r.netCost),
      gridOnlyCost: n(r.gridOnlyCost),
      savings: n(r.gridOnlyCost) - n(r.netCost),
      balanceKWh: state.storage?.accounts[member] ?? 0,
      capacityKWh: accountCapacityKWh(
        this.settler.setup.storage,
        member,
        this.settler.setup.storage.capacityKWh,
      ),
    };
  }

  members(fromMs: number, toMs: number): MembersOverview {
    const rows = new Map(this.totals.totals(fromMs, toMs).map((r) => [r.member, r]));
    const ids = [...new Set([...this.site.members.map((m) => m.id), ...rows.keys()])];
    return {
      fromMs,
      toMs,
      currency: this.site.site.currency,
      members: ids.map((id) => this.summary(rows.get(id), id)),
      verification: this.verification.current(),
    };
  }

  member(member: string, fromMs: number, toMs: number): MemberDetail {
    if (!this.site.members.some((m) => m.id === member))
      throw new ApiRefusal('not-found', `no member '${member}' in site ${this.site.site.id}`);
    const summary = this.summary(memberTotals(this.ledger, fromMs, toMs, member)[0], member);
    const lines = memberLines(this.ledger, member, fromMs, toMs, 192);
    const trades: MemberDetail['trades'] = [];
    for (const line of lines.slice(0, 96)) {
      const s = statementEntry(this.ledger.bySeq(line.seq)!).settlement;
      for (const [seller, buyer, energyKWh, pricePerKWh] of s.market.trades) {
        if (seller === member)
          trades.push({ startMs: s.startMs, side: 'sell', counterparty: buyer, energyKWh, pricePerKWh });
        else if (buyer === member)
          trades.push({ startMs: s.startMs, side: 'buy', counterparty: seller, energyKWh, pricePerKWh });
      }
    }
    return {
      summary,
      intervals: lines.map((l) => ({
        startMs: l.startMs,
        mode: l.mode as MemberDetail['intervals'][number]['mode'],
        flags: l.flags ? l.flags.split(',') : [],
        importKWh: l.importKWh,
        exportKWh: l.exportKWh,
        drawnKWh: l.drawnKWh,
        poolBoughtKWh: l.poolBoughtKWh,
        boughtKWh: l.boughtKWh,
        soldKWh: l.soldKWh,
        gridImportKWh: l.gridImportKWh,
        gridExportKWh: l.gridExportKWh,
        netCost: l.netCost,
        balanceKWh: l.balanceKWh,
      })),
      trades,
      months: this.months(),
    };
  }

  /** Months with settled intervals, newest first. */
  months(): string[] {
    const span = this.ledger.intervalSpan();
    if (!span) return [];
    const tz = this.site.site.timezone;
    const months: string[] = [];
    let month = localMonth(span.firstMs, tz);
    const last = localMonth(span.lastMs, tz);
    while (month <= last && months.length < 1200) {
      months.push(month);
      month = localMonth(monthRange(month, tz).toMs, tz);
    }
    return months.reverse();
  }

  storage(fromMs: number, toMs: number): StorageOverview {
    const setup = this.settler.setup;
    const state = this.settler.currentState();
    const span = this.ledger.intervalSpan();
    const accounts = this.site.members
      .filter((m) => m.poolSharePct > 0 || (state.storage?.accounts[m.id] ?? 0) !== 0)
      .map((m) => ({
        member: m.id,
        name: m.name,
        shareFraction: m.poolSharePct / 100,
        capacityKWh: accountCapacityKWh(setup.storage, m.id, setup.storage.capacityKWh),
        balanceKWh: state.storage?.accounts[m.id] ?? 0,
      }));
    return {
      capacityKWh: setup.storage.capacityKWh,
      reserveTargetKWh: setup.storage.reserveKWh,
      reserveKWh: state.storage?.reserveKWh ?? 0,
      communityKWh: state.storage?.communityKWh ?? 0,
      accountsKWh: accounts.reduce((t, a) => t + a.balanceKWh, 0),
      storedKWh: state.storage?.storedKWh ?? null,
      lastSettledStartMs: span?.lastMs ?? null,
      liveSocFraction: this.options.liveSoc(),
      accounts,
      series: storageSeries(this.ledger, fromMs, toMs),
    };
  }

  kpis(fromMs: number, toMs: number): SiteKpis & { verification: LedgerVerifyResult } {
    return { ...projectedKpis(this.ledger, fromMs, toMs), verification: this.verification.current() };
  }

  /** The latest entries about intervals in the period, from the projection; only alarms are decoded. */
  intervals(fromMs: number, toMs: number, limit = 500): SettledIntervalRow[] {
    const rows = this.ledger
      .stmt(
        `SELECT f.seq AS seq, e.kind AS kind, f.start_ms AS startMs, e.booked_ms AS bookedMs, f.mode AS mode,
           f.flags AS flags, f.alarms AS alarms, f.local_trade_kwh + f.pool_served_kwh AS localKWh,
           f.grid_import_kwh AS gridImportKWh, f.welfare AS welfare, f.members_net_cost AS membersNetCost
         FROM figures f JOIN entry e ON e.seq = f.seq
         WHERE f.start_ms >= ? AND f.start_ms < ? ORDER BY f.seq DESC LIMIT ?`,
      )
      .all(fromMs, toMs, limit) as Array<
      Omit<SettledIntervalRow, 'flags' | 'alarms'> & { flags: string; alarms: number }
    >;
    return rows.map((r) => ({
      ...r,
      flags: r.flags ? r.flags.split(',') : [],
      alarms: r.alarms > 0 ? statementEntry(this.ledger.bySeq(r.seq)!).settlement.alarms : [],
    }));
  }

  /** Refused (naming the entry) when the ledger fails verification: a bill must add up. */
  async statement(member: string, month: string, formats: StatementFormats): Promise<BuiltStatement> {
    const attestation = this.verification.attestation();
    return this.options.statements
      ? this.options.statements(member, month, formats, attestation)
      : buildStatement(this.ledger, member, month, formats, attestation);
  }

  /** Re-settles from the source's data as it is now (or the booked data), with manual corrections. */
  resettle(
    startMs: number,
    reason: string,
    corrections: Array<{ member: string; importKWh: number; exportKWh: number }> = [],
  ): ResettleResult {
    const booked = this.settler.bookedEnergies(startMs);
    if (!booked)
      throw new ApiRefusal(
        'conflict',
        `interval starting ${new Date(startMs).toISOString()} has not been settled; nothing to re-settle`,
      );
    const fresh = this.options.source?.energies(startMs, booked.minutes) ?? null;
    const energies: IntervalEnergies = structuredClone(fresh ?? booked);
    for (const c of corrections) {
      if (!this.site.members.some((m) => m.id === c.member))
        throw new ApiRefusal('not-found', `no member '${c.member}' in site ${this.site.site.id}`);
      const at = energies.members.findIndex((m) => m.member === c.member);
      const reading = { member: c.member, importKWh: c.importKWh, exportKWh: c.exportKWh, complete: true };
      if (at >= 0) energies.members[at] = reading;
      else energies.members.push(reading);
    }
    energies.complete = energies.members.every((m) => m.complete) && energies.complete;
    const outcome = this.settler.resettle(energies, { reason, bookedMs: this.options.now() });
    return {
      status: outcome.status,
      seq: outcome.seq,
      delta: outcome.delta.map((d) => ({
        member: d.member,
        importKWh: d.importKWh,
        exportKWh: d.exportKWh,
        netCost: d.netCost,
      })),
    };
  }
}
