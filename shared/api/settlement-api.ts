// The settlement calls of the API (see contract.ts): the ledger's state, members' figures and
// statements, the virtual storage beside the physical pool, site KPIs over any period, and the
// manager's re-settlement of a past interval after correcting its data.
import { changes, reads, type CallAccess } from './access.ts';
import { z } from 'zod';
import type { SiteKpis } from '../settlement/site-kpis.ts';
import type { MemberStatement } from '../settlement/statement.ts';
import type { IntervalMode } from '../settlement/interval-energy.ts';

/** The ledger's signing key as verify found it (ledger-key.ts). */
export interface LedgerKeyCheck {
  ledgerId: string;
  /** SHA-256 of the raw Ed25519 public key beside the ledger, hex in groups of four. */
  fingerprint: string;
  /**
   * This machine's key store holds the ledger's private key and it is the public key's pair
   * ('matches'), holds none for the ledger ('absent', as on an auditor's machine: compare the
   * fingerprint with the statements), or holds another ('differs': verify fails).
   */
  keyStore: 'matches' | 'absent' | 'differs';
  keyStoreLocation: string;
  /** The head the current key first signed (0 for a ledger that had its key from the start). */
  signedFromSeq: number;
  /** Keys the ledger had before (a lost key replaced), with the last entry each vouches for. */
  previousKeys: Array<{ fingerprint: string; untilSeq: number }>;
}

export type LedgerVerifyResult =
  | {
      ok: true;
      entries: number;
      headHash: string;
      /** The entry the signed head names, and how many entries follow it unsigned (after a crash). */
      headSeq: number;
      headLag: number;
      key: LedgerKeyCheck | null;
      /** Things an auditor should know that do not make the ledger wrong (a key replaced, …). */
      warnings: string[];
    }
  | {
      ok: false;
      entries: number;
      /** The first entry that is not as written or does not balance. */
      seq: number;
      intervalStartMs: number | null;
      kind: string;
      problem: string;
      key: LedgerKeyCheck | null;
    };

export interface SettlementStatus {
  intervalMinutes: number;
  /** Settles closed intervals by itself (false: no interval energies source is wired). */
  automatic: boolean;
  delaySeconds: number;
  lateBoundSeconds: number;
  entries: number;
  headHash: string | null;
  firstSettledStartMs: number | null;
  lastSettledStartMs: number | null;
  /** The next interval to settle and when it is due (epoch ms). */
  nextStartMs: number | null;
  nextDueMs: number | null;
  recentAlarms: Array<{ startMs: number; message: string }>;
  currency: string;
}

export interface MemberPeriodSummary {
  member: string;
  name: string;
  category: string;
  poolSharePct: number;
  intervals: number;
  importKWh: number;
  exportKWh: number;
  fromOwnStorageKWh: number;
  fromPoolKWh: number;
  boughtKWh: number;
  soldKWh: number;
  storedKWh: number;
  soldToPoolKWh: number;
  gridImportKWh: number;
  gridExportKWh: number;
  fees: number;
  netCost: number;
  gridOnlyCost: number;
  savings: number;
  balanceKWh: number;
  capacityKWh: number;
}

export interface MembersOverview {
  fromMs: number;
  toMs: number;
  currency: string;
  members: MemberPeriodSummary[];
  /** The ledger these figures come from, as last verified: a view says plainly when it failed. */
  verification: LedgerVerifyResult;
}

export interface MemberIntervalRow {
  startMs: number;
  mode: IntervalMode;
  flags: string[];
  importKWh: number;
  exportKWh: number;
  drawnKWh: number;
  poolBoughtKWh: number;
  boughtKWh: number;
  soldKWh: number;
  gridImportKWh: number;
  gridExportKWh: number;
  netCost: number;
  balanceKWh: number;
}

export interface MemberTradeRow {
  startMs: number;
  side: 'buy' | 'sell';
  counterparty: string;
  energyKWh: number;
  pricePerKWh: number;
}

export interface MemberDetail {
  summary: MemberPeriodSummary;
  /** The most recent intervals of the period, newest first. */
  intervals: MemberIntervalRow[];
  trades: MemberTradeRow[];
  /** Months with settled intervals, newest first ('YYYY-MM'). */
  months: string[];
}

export interface StorageAccountRow {
  member: string;
  name: string;
  shareFraction: number;
  capacityKWh: number;
  balanceKWh: number;
}

export interface StorageOverview {
  capacityKWh: number;
  reserveTargetKWh: number;
  reserveKWh: number;
  communityKWh: number;
  accountsKWh: number;
  /** Stored energy at the end of the last settled interval (kWh). */
  storedKWh: number | null;
  lastSettledStartMs: number | null;
  /** The pool's state of charge now, from the live snapshot (0..1). */
  liveSocFraction: number | null;
  accounts: StorageAccountRow[];
  series: Array<{
    startMs: number;
    storedKWh: number;
    accountsKWh: number;
    communityKWh: number;
    reserveKWh: number;
    socEnd: number | null;
  }>;
}

export interface SettledIntervalRow {
  seq: number;
  kind: 'interval' | 'adjustment';
  startMs: number;
  bookedMs: number;
  mode: IntervalMode;
  flags: string[];
  alarms: string[];
  localKWh: number;
  gridImportKWh: number;
  welfare: number;
  membersNetCost: number;
}

export interface ResettleResult {
  status: 'adjusted' | 'unchanged' | 'already-adjusted';
  seq: number | null;
  delta: Array<{ member: string; importKWh: number; exportKWh: number; netCost: number }>;
}

const period = z
  .object({ fromMs: z.number().int().nonnegative(), toMs: z.number().int().nonnegative() })
  .strict()
  .refine((p) => p.toMs > p.fromMs, { message: 'toMs must be after fromMs', path: ['toMs'] });

export interface SettlementApi {
  'settlement/status': { request: Record<string, never>; response: SettlementStatus };
  'settlement/members': { request: { fromMs: number; toMs: number }; response: MembersOverview };
  'settlement/member': { request: { member: string; fromMs: number; toMs: number }; response: MemberDetail };
  'settlement/storage': { request: { fromMs: number; toMs: number }; response: StorageOverview };
  'settlement/kpis': {
    request: { fromMs: number; toMs: number };
    response: SiteKpis & { verification: LedgerVerifyResult };
  };
  'settlement/intervals': {
    request: { fromMs: number; toMs: number; limit?: number };
    response: SettledIntervalRow[];
  };
  /** A member's statement for a month: the figures, and the printable HTML or the PDF when asked. */
  'settlement/statement': {
    request: { member: string; month: string; html?: boolean; pdf?: boolean };
    response: { statement: MemberStatement; html: string | null; pdfBase64: string | null };
  };
  /**
   * Re-settles a past interval from the historian's data as it is now, with any manual meter
   * corrections; books an adjustment entry, never changes the original.
   */
  'settlement/resettle': {
    request: {
      startMs: number;
      reason: string;
      corrections?: Array<{ member: string; importKWh: number; exportKWh: number }>;
    };
    response: ResettleResult;
  };
  /** Verifies the whole ledger again (views otherwise show the result kept since the last entry). */
  'settlement/verify': { request: Record<string, never>; response: LedgerVerifyResult };
}

export const settlementSchemas: { [K in keyof SettlementApi]: z.ZodType<SettlementApi[K]['request']> } = {
  'settlement/status': z.object({}).strict(),
  'settlement/members': period,
  'settlement/member': z
    .object({
      member: z.string().min(1),
      fromMs: z.number().int().nonnegative(),
      toMs: z.number().int().nonnegative(),
    })
    .strict(),
  'settlement/storage': period,
  'settlement/kpis': period,
  'settlement/intervals': z
    .object({
      fromMs: z.number().int().nonnegative(),
      toMs: z.number().int().nonnegative(),
      limit: z.number().int().min(1).max(5000).optional(),
    })
    .strict(),
  'settlement/statement': z
    .object({
      member: z.string().min(1),
      month: z.string().regex(/^\d{4}-(0[1-9]|1[0-2])$/, 'must be YYYY-MM'),
      html: z.boolean().optional(),
      pdf: z.boolean().optional(),
    })
    .strict(),
  'settlement/resettle': z
    .object({
      startMs: z.number().int().nonnegative(),
      reason: z.string().min(1, 'say why the interval is re-settled').max(500),
      corrections: z
        .array(
          z
            .object({
              member: z.string().min(1),
              importKWh: z.number().nonnegative(),
              exportKWh: z.number().nonnegative(),
            })
            .strict(),
        )
        .optional(),
    })
    .strict(),
  'settlement/verify': z.object({}).strict(),
};

export interface SettlementEvents {
  /** An interval (or an adjustment) was booked. */
  'settlement/settled': { seq: number; kind: 'interval' | 'adjustment'; startMs: number; flags: string[] };
  /** Virtual storage did not reconcile, money did not balance, or a reading was missing at the bound. */
  'settlement/alarm': { startMs: number; message: string };
}
export const settlementEventNames: ReadonlyArray<keyof SettlementEvents> = [
  'settlement/settled',
  'settlement/alarm',
];

/** Who may make each settlement call (see access.ts). */
export const settlementAccess: { [K in keyof SettlementApi]: CallAccess } = {
  'settlement/status': reads(),
  'settlement/members': reads(),
  'settlement/member': reads(),
  'settlement/storage': reads(),
  'settlement/kpis': reads(),
  'settlement/intervals': reads(),
  'settlement/statement': reads(),
  'settlement/resettle': changes('admin', { recentSignIn: true }),
  'settlement/verify': reads(),
};
