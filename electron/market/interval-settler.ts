// Books settled intervals in the ledger, exactly once each. Settling reads the state left by the
// last booked entry, settles, and appends — all in one write transaction keyed by the interval,
// so a restart, a second process or a re-run finds the entry and books nothing. A correction of
// an interval already settled is booked as an adjustment entry (the corrected figures and the
// difference), never by changing the original.
import { createHash } from 'node:crypto';
import {
  EMPTY_STATE,
  memberLineFields,
  settleInterval,
  settlementSetup,
  type IntervalSettlement,
  type MemberLine,
  type SettlementSetup,
  type SettlementState,
} from '../../shared/settlement/interval-settlement.ts';
import type { IntervalEnergies } from '../../shared/settlement/interval-energy.ts';
import { siteSnapshot, type SiteSnapshot } from '../../shared/settlement/site-snapshot.ts';
import { COMMUNITY_HOLDER, RESERVE_HOLDER } from '../../shared/storage/virtual-storage.ts';
import type { SiteFile } from '../../shared/site/schema.ts';
import { canonicalJson } from './canonical-json.ts';
import type { Ledger } from './ledger.ts';
import { intervalKey, stateAfter, statementEntry } from './ledger-entries.ts';
import {
  decodeAdjustmentPayload,
  decodeIntervalPayload,
  encodeAdjustmentPayload,
  encodeIntervalPayload,
  encodeSitePayload,
  roundEnergies,
} from './ledger-payload.ts';
import { catchUpProjection, project } from './ledger-projection.ts';

export interface SettleOutcome {
  status: 'settled' | 'already-settled';
  seq: number;
  settlement: IntervalSettlement;
  /** For 'already-settled': the energies given now differ from those booked (re-settle to correct). */
  energiesDiffer: boolean;
}

export interface AdjustOutcome {
  status: 'adjusted' | 'unchanged' | 'already-adjusted';
  seq: number | null;
  /** Corrected minus previous figures, per member with a change. */
  delta: MemberLine[];
  settlement: IntervalSettlement;
}

export class SettlementError extends Error {
  override name = 'SettlementError';
}

export class IntervalSettler {
  private current!: { site: SiteFile; setup: SettlementSetup; snapshotText: string };

  constructor(
    readonly ledger: Ledger,
    site: SiteFile,
  ) {
    this.useSite(site);
    catchUpProjection(ledger);
  }

  get site(): SiteFile {
    return this.current.site;
  }

  get setup(): SettlementSetup {
    return this.current.setup;
  }

  /**
   * Settles the next intervals under changed settings (a manager saved new prices, fees or a
   * tariff): the first of them books the new site snapshot, so every entry stays traceable to
   * the settings it was settled under. The interval length is not changed here.
   */
  useSite(site: SiteFile): void {
    if (this.current && site.market.intervalMinutes !== this.current.site.market.intervalMinutes)
      throw new Error('a new settlement interval length takes effect when the console restarts');
    const setup = settlementSetup(site);
    const snapshot: SiteSnapshot = siteSnapshot(site, setup.storage);
    this.current = { site, setup, snapshotText: encodeSitePayload(snapshot) };
  }

  isSettled(startMs: number): boolean {
    return this.ledger.byKey(intervalKey(startMs)) !== undefined;
  }

  /** The state after the last entry, by its sequence number: decoding a payload per interval is dear. */
  private stateCache: { seq: number; hash: string; state: SettlementState } | null = null;

  /** The state the next interval starts from. */
  currentState(): SettlementState {
    const entry = this.ledger.lastStateful();
    if (!entry) return EMPTY_STATE;
    const cached = this.stateCache;
    if (cached && cached.seq === entry.seq && cached.hash === entry.hash)
      return structuredClone(cached.state);
    const state = stateAfter(entry);
    this.stateCache = { seq: entry.seq, hash: entry.hash, state: structuredClone(state) };
    return state;
  }

  /** Settles an interval unless it already is; idempotent across restarts and processes. */
  settle(measured: IntervalEnergies, options: { flags?: string[]; bookedMs: number }): SettleOutcome {
    const energies = roundEnergies(measured);
    if (energies.siteId !== this.site.site.id)
      throw new SettlementError(
        `interval energies are for site '${energies.siteId}', but this ledger settles '${this.site.site.id}'`,
      );
    const key = intervalKey(energies.startMs);
    return this.ledger.transaction(() => {
      const existing = this.ledger.byKey(key);
      if (existing) {
        const booked = decodeIntervalPayload(existing.payload);
        return {
          status: 'already-settled',
          seq: existing.seq,
          settlement: booked.settlement,
          energiesDiffer: canonicalJson(booked.energies) !== canonicalJson(energies),
        };
      }
      this.bookSiteIfChanged(options.bookedMs);
      const settlement = settleInterval(this.setup, energies, this.currentState(), {
        flags: options.flags ?? [],
      });
      const payload = encodeIntervalPayload(settlement, energies);
      const entry = this.ledger.append('interval', key, energies.startMs, options.bookedMs, payload);
      // What is returned and projected is what was booked (rounded), never figures the ledger lacks.
      const booked = decodeIntervalPayload(payload).settlement;
      project(this.ledger, entry.seq, booked);
      this.stateCache = { seq: entry.seq, hash: entry.hash, state: structuredClone(booked.closing) };
      return { status: 'settled', seq: entry.seq, settlement: booked, energiesDiffer: false };
    });
  }

  /**
   * Re-settles an interval from corrected energies, from the state the interval originally opened
   * with, and books the difference from the figures in force as an adjustment entry.
   */
  resettle(
    measured: IntervalEnergies,
    options: { reason: string; bookedMs: number; flags?: string[] },
  ): AdjustOutcome {
    const energies = roundEnergies(measured);
    const startMs = energies.startMs;
    return this.ledger.transaction(() => {
      const original = this.ledger.byKey(intervalKey(startMs));
      if (!original)
        throw new SettlementError(
          `interval starting ${new Date(startMs).toISOString()} has not been settled yet; it cannot be re-settled`,
        );
      const history = this.ledger.intervalEntries(startMs, startMs + 1);
      const current = history.at(-1)!;
      const inForce = statementEntry(current).settlement;
      const digest = createHash('sha256').update(canonicalJson(energies)).digest('hex').slice(0, 16);
      const key = `adjustment:${startMs}:${digest}`;
      const done = this.ledger.byKey(key);
      if (done) {
        const a = decodeAdjustmentPayload(done.payload);
        return { status: 'already-adjusted', seq: done.seq, delta: a.delta, settlement: a.settlement };
      }
      const opening = decodeIntervalPayload(original.payload).settlement.opening;
      const corrected = decodeIntervalPayload(
        encodeIntervalPayload(
          settleInterval(this.setup, energies, opening, { flags: options.flags ?? [] }),
          energies,
        ),
      ).settlement;
      const delta = lineDelta(corrected.members, inForce.members);
      const holdersChanged = corrected.holders.some((h) => {
        const before = inForce.holders.find((x) => x.holder === h.holder);
        return Math.abs(h.closingKWh - (before?.closingKWh ?? 0)) > 1e-6;
      });
      if (delta.length === 0 && !holdersChanged)
        return { status: 'unchanged', seq: null, delta, settlement: inForce };
      this.bookSiteIfChanged(options.bookedMs);
      const state = applyAdjustment(this.currentState(), inForce, corrected);
      corrected.alarms.push(...state.alarms);
      const payload = encodeAdjustmentPayload({
        startMs,
        reason: options.reason,
        correctsSeq: original.seq,
        replacesSeq: current.seq,
        settlement: corrected,
        energies,
        delta,
        state: state.state,
      });
      const entry = this.ledger.append('adjustment', key, startMs, options.bookedMs, payload);
      project(this.ledger, entry.seq, corrected);
      return { status: 'adjusted', seq: entry.seq, delta, settlement: corrected };
    });
  }

  /** The energies booked for an interval (the latest correction, if any). */
  bookedEnergies(startMs: number): IntervalEnergies | null {
    const last = this.ledger.intervalEntries(startMs, startMs + 1).at(-1);
    if (!last) return null;
    return last.kind === 'interval'
      ? decodeIntervalPayload(last.payload).energies
      : decodeAdjustmentPayload(last.payload).energies;
  }

  private bookSiteIfChanged(bookedMs: number): void {
    const last = this.ledger.last('site');
    if (last?.payload === this.current.snapshotText) return;
    const count = this.ledger.siteEntries().length;
    this.ledger.append('site', `site:${count + 1}`, null, bookedMs, this.current.snapshotText);
  }
}

function lineDelta(after: readonly MemberLine[], before: readonly MemberLine[]): MemberLine[] {
  const ids = [...new Set([...after.map((l) => l.member), ...before.map((l) => l.member)])].sort();
  const out: MemberLine[] = [];
  for (const id of ids) {
    const a = after.find((l) => l.member === id);
    const b = before.find((l) => l.member === id);
    const d = { member: id } as MemberLine;
    let changed = false;
    for (const f of memberLineFields) {
      const v = (a?.[f] ?? 0) - (b?.[f] ?? 0);
      d[f] = Math.abs(v) < 1e-9 ? 0 : v;
      if (d[f] !== 0) changed = true;
    }
    if (changed) out.push(d);
  }
  return out;
}

/**
 * The current state moved by what the correction changed in the corrected interval's closing
 * balances and allowance use. An account the change would take below zero is set to zero and the
 * shortfall is booked to the community account, with an alarm.
 */
function applyAdjustment(
  current: SettlementState,
  before: IntervalSettlement,
  after: IntervalSettlement,
): { state: SettlementState; alarms: string[] } {
  const alarms: string[] = [];
  const state = structuredClone(current);
  if (state.storage) {
    const closing = (s: IntervalSettlement, holder: string) =>
      s.holders.find((h) => h.holder === holder)?.closingKWh ?? 0;
    const holders = new Set([...before.holders, ...after.holders].map((h) => h.holder));
    let shortfall = 0;
    for (const holder of holders) {
      const change = closing(after, holder) - closing(before, holder);
      if (change === 0) continue;
      if (holder === COMMUNITY_HOLDER) state.storage.communityKWh += change;
      else if (holder === RESERVE_HOLDER) state.storage.reserveKWh += change;
      else {
        const next = (state.storage.accounts[holder] ?? 0) + change;
        if (next < 0) {
          shortfall += -next;
          alarms.push(
            `adjustment: account of '${holder}' would go below zero by ${(-next).toFixed(3)} kWh; set to zero`,
          );
        }
        state.storage.accounts[holder] = Math.max(0, next);
      }
    }
    state.storage.communityKWh -= shortfall;
  }
  const a = after.closing.allowance ?? after.opening.allowance;
  const b = before.closing.allowance ?? before.opening.allowance;
  if (state.allowance && a && b && a.year === state.allowance.year && b.year === state.allowance.year) {
    for (const member of Object.keys(state.allowance.usedKWh)) {
      const change = (a.usedKWh[member] ?? 0) - (b.usedKWh[member] ?? 0);
      state.allowance.usedKWh[member] = Math.max(0, state.allowance.usedKWh[member]! + change);
    }
  }
  return { state, alarms };
}
