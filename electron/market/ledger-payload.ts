// What a ledger entry's payload holds, and how a settled interval is written compactly: member
// lines and holders as a table (column names once, one row each), figures rounded to a millionth
// (a milliwatt-hour, a millionth of the currency unit). The state carried to the next interval
// is kept at full precision so that a restart continues exactly as an uninterrupted run.
import {
  memberLineFields,
  type IntervalSettlement,
  type MemberLine,
  type SettlementState,
  type TradeRow,
} from '../../shared/settlement/interval-settlement.ts';
import type { HolderMovement } from '../../shared/storage/virtual-storage.ts';
import type { IntervalEnergies } from '../../shared/settlement/interval-energy.ts';
import type { SiteSnapshot } from '../../shared/settlement/site-snapshot.ts';
import { canonicalJson, round6 } from './canonical-json.ts';

export const PAYLOAD_VERSION = 1;

const holderFields = ['openingKWh', 'inKWh', 'outKWh', 'lossKWh', 'closingKWh'] as const;

interface Table {
  columns: string[];
  rows: Array<Array<string | number>>;
}

interface EncodedInterval extends Omit<IntervalSettlement, 'members' | 'holders' | 'market'> {
  members: Table;
  holders: Table;
  market: Omit<IntervalSettlement['market'], 'trades'> & { trades: TradeRow[] };
}

/** Energies with the member readings as a table: [member, importKWh, exportKWh, complete 0/1]. */
interface EncodedEnergies extends Omit<IntervalEnergies, 'members'> {
  members: Array<[string, number, number, number]>;
}

export interface IntervalPayload {
  v: number;
  settlement: EncodedInterval;
  /** The energies as settled, for audit and for re-settling. */
  energies: EncodedEnergies;
}

/** A correction of an interval already settled: the new figures and the difference from the last. */
export interface AdjustmentPayload {
  v: number;
  startMs: number;
  reason: string;
  /** The interval's original entry, and the entry whose figures this one replaces. */
  correctsSeq: number;
  replacesSeq: number;
  settlement: EncodedInterval;
  energies: EncodedEnergies;
  /** Corrected minus replaced, per member line field (members with no change left out). */
  delta: Table;
  /** The settlement state after the correction (the current state plus the change in accounts). */
  state: SettlementState;
}

/**
 * Energies as the ledger keeps them: to the milliwatt-hour, far below any meter's resolution.
 * Settlement runs on these rounded figures, so what is booked is exactly what was settled.
 */
export function roundEnergies(e: IntervalEnergies): IntervalEnergies {
  const r = (v: number | null) => (v === null ? null : round6(v));
  return {
    ...e,
    members: e.members.map((m) => ({
      member: m.member,
      importKWh: round6(m.importKWh),
      exportKWh: round6(m.exportKWh),
      complete: m.complete,
    })),
    pool: {
      chargedKWh: round6(e.pool.chargedKWh),
      dischargedKWh: round6(e.pool.dischargedKWh),
      socStart: r(e.pool.socStart),
      socEnd: r(e.pool.socEnd),
      capacityKWh: e.pool.capacityKWh,
    },
    pcc: { importKWh: round6(e.pcc.importKWh), exportKWh: round6(e.pcc.exportKWh) },
  };
}

function encodeEnergies(e: IntervalEnergies): EncodedEnergies {
  return { ...e, members: e.members.map((m) => [m.member, m.importKWh, m.exportKWh, m.complete ? 1 : 0]) };
}

function decodeEnergies(e: EncodedEnergies): IntervalEnergies {
  return {
    ...e,
    members: e.members.map(([member, importKWh, exportKWh, complete]) => ({
      member,
      importKWh,
      exportKWh,
      complete: complete === 1,
    })),
  };
}

function encodeSettlement(s: IntervalSettlement): EncodedInterval {
  const { members, holders, market, ...rest } = s;
  return {
    ...rest,
    market: { ...market, trades: market.trades.map(([a, b, e, p]) => [a, b, round6(e), round6(p)]) },
    members: {
      columns: ['member', ...memberLineFields],
      rows: members.map((m) => [m.member, ...memberLineFields.map((f) => round6(m[f]))]),
    },
    holders: {
      columns: ['holder', ...holderFields],
      rows: holders.map((h) => [h.holder, ...holderFields.map((f) => round6(h[f]))]),
    },
  };
}

/** Member lines from their table; a column an older payload lacks reads as zero. */
function decodeLines(table: Table): MemberLine[] {
  const at = memberLineFields.map((f) => table.columns.indexOf(f));
  const [a, b, c, d, e, f, g, h, i, j, k, l, m, n, o, p, q, r, s, t, u, v, w, x, y, z] = at as number[];
  const num = (row: Array<string | number>, index: number | undefined) =>
    index === undefined || index < 0 ? 0 : (row[index] as number);
  // One object literal with every field, so every line shares one shape (fast to build and read).
  return table.rows.map((row) => ({
    member: row[0] as string,
    importKWh: num(row, a),
    exportKWh: num(row, b),
    storedKWh: num(row, c),
    drawnKWh: num(row, d),
    poolBoughtKWh: num(row, e),
    allowanceKWh: num(row, f),
    poolCost: num(row, g),
    poolSoldKWh: num(row, h),
    poolRevenue: num(row, i),
    boughtKWh: num(row, j),
    energyCost: num(row, k),
    soldKWh: num(row, l),
    energyRevenue: num(row, m),
    gridImportKWh: num(row, n),
    gridCost: num(row, o),
    gridExportKWh: num(row, p),
    gridRevenue: num(row, q),
    unservedKWh: num(row, r),
    curtailedKWh: num(row, s),
    fees: num(row, t),
    paybackKWh: num(row, u),
    paybackRevenue: num(row, v),
    netCost: num(row, w),
    gridOnlyCost: num(row, x),
    lossKWh: num(row, y),
    balanceKWh: num(row, z),
  }));
}

function decodeSettlement(e: EncodedInterval): IntervalSettlement {
  const { members, holders, ...rest } = e;
  return {
    ...rest,
    members: decodeLines(members),
    holders: holders.rows.map((row) => {
      const h = { holder: row[0] as string } as HolderMovement;
      holders.columns.forEach((c, i) => {
        if (i > 0) (h as unknown as Record<string, number>)[c] = row[i] as number;
      });
      return h;
    }),
  };
}

export function encodeIntervalPayload(s: IntervalSettlement, energies: IntervalEnergies): string {
  const payload: IntervalPayload = {
    v: PAYLOAD_VERSION,
    settlement: encodeSettlement(s),
    energies: encodeEnergies(energies),
  };
  return canonicalJson(payload);
}

export function encodeAdjustmentPayload(p: {
  startMs: number;
  reason: string;
  correctsSeq: number;
  replacesSeq: number;
  settlement: IntervalSettlement;
  energies: IntervalEnergies;
  delta: MemberLine[];
  state: SettlementState;
}): string {
  const payload: AdjustmentPayload = {
    v: PAYLOAD_VERSION,
    startMs: p.startMs,
    reason: p.reason,
    correctsSeq: p.correctsSeq,
    replacesSeq: p.replacesSeq,
    settlement: encodeSettlement(p.settlement),
    energies: encodeEnergies(p.energies),
    delta: {
      columns: ['member', ...memberLineFields],
      rows: p.delta.map((m) => [m.member, ...memberLineFields.map((f) => round6(m[f]))]),
    },
    state: p.state,
  };
  return canonicalJson(payload);
}

export interface DecodedInterval {
  settlement: IntervalSettlement;
  energies: IntervalEnergies;
}

export interface DecodedAdjustment {
  startMs: number;
  reason: string;
  correctsSeq: number;
  replacesSeq: number;
  settlement: IntervalSettlement;
  energies: IntervalEnergies;
  delta: MemberLine[];
  state: SettlementState;
}

export function decodeIntervalPayload(text: string): DecodedInterval {
  const p = JSON.parse(text) as IntervalPayload;
  return { settlement: decodeSettlement(p.settlement), energies: decodeEnergies(p.energies) };
}

export function decodeAdjustmentPayload(text: string): DecodedAdjustment {
  const p = JSON.parse(text) as AdjustmentPayload;
  const delta = decodeSettlement({ ...p.settlement, members: p.delta }).members;
  return {
    startMs: p.startMs,
    reason: p.reason,
    correctsSeq: p.correctsSeq,
    replacesSeq: p.replacesSeq,
    settlement: decodeSettlement(p.settlement),
    energies: decodeEnergies(p.energies),
    delta,
    state: p.state,
  };
}

export function encodeSitePayload(snapshot: SiteSnapshot): string {
  return canonicalJson({ v: PAYLOAD_VERSION, site: snapshot });
}

export function decodeSitePayload(text: string): SiteSnapshot {
  return (JSON.parse(text) as { site: SiteSnapshot }).site;
}
