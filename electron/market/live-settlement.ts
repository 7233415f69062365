// Settles each closed interval a little after it closes. Readings that arrive late (a meter behind
// a slow gateway, a poll that timed out) are awaited until a bound; then the interval is settled
// with what exists and flagged 'late', and a later correction goes in as an adjustment. After a
// restart it catches up on every interval closed while it was away, in order, a batch per tick so
// the event loop is never held for long.
import type { IntervalEnergies } from '../../shared/settlement/interval-energy.ts';
import { intervalStartMs } from '../../shared/time/zone.ts';
import type { SiteFile } from '../../shared/site/schema.ts';
import type { IntervalSettler, SettleOutcome } from './interval-settler.ts';

/** Where the interval energies come from (the historian's counter deltas in the console). */
export interface IntervalSource {
  /** The interval's energies, or null when nothing at all was recorded for it. */
  energies(startMs: number, minutes: number): IntervalEnergies | null;
}

export interface LiveSettlementTiming {
  /** Settle no sooner than this after an interval closes (ms). */
  delayMs: number;
  /** Wait at most this long after an interval closes for missing readings (ms). */
  lateBoundMs: number;
  /** Intervals settled per tick at most, when catching up. */
  batch: number;
  /**
   * How far back a restart catches up (ms). A ledger whose last interval is older than this (the
   * console was off for long, or the ledger came from a simulation) resumes at the console's
   * start; the gap is reported, never filled with empty intervals.
   */
  maxCatchUpMs: number;
}

export const DEFAULT_TIMING: LiveSettlementTiming = {
  delayMs: 30_000,
  lateBoundMs: 5 * 60_000,
  batch: 48,
  maxCatchUpMs: 7 * 86_400_000,
};

/** Timing from the site file's optional `market.settlement` block (seconds), over the defaults. */
export function timingFromSite(site: SiteFile): LiveSettlementTiming {
  const block = (site.market as Record<string, unknown>).settlement as
    { delaySeconds?: unknown; lateBoundSeconds?: unknown; maxCatchUpHours?: unknown } | undefined;
  const seconds = (v: unknown, fallbackMs: number) =>
    typeof v === 'number' && Number.isFinite(v) && v >= 0 ? v * 1000 : fallbackMs;
  const delayMs = seconds(block?.delaySeconds, DEFAULT_TIMING.delayMs);
  return {
    delayMs,
    lateBoundMs: Math.max(delayMs, seconds(block?.lateBoundSeconds, DEFAULT_TIMING.lateBoundMs)),
    batch: DEFAULT_TIMING.batch,
    maxCatchUpMs:
      typeof block?.maxCatchUpHours === 'number' && block.maxCatchUpHours > 0
        ? block.maxCatchUpHours * 3_600_000
        : DEFAULT_TIMING.maxCatchUpMs,
  };
}

/** An interval with no readings at all: every meter incomplete, nothing moved. */
export function emptyEnergies(site: SiteFile, startMs: number, minutes: number): IntervalEnergies {
  return {
    siteId: site.site.id,
    startMs,
    minutes,
    mode: site.grid.kind === 'off-grid' ? 'off-grid' : 'grid-connected',
    members: site.members.map((m) => ({ member: m.id, importKWh: 0, exportKWh: 0, complete: false })),
    pool: { chargedKWh: 0, dischargedKWh: 0, socStart: null, socEnd: null, capacityKWh: 0 },
    pcc: { importKWh: 0, exportKWh: 0 },
    complete: false,
  };
}

export class LiveSettlement {
  readonly minutes: number;
  private firstMs: number;
  /** Intervals a restart did not catch up because they lie beyond maxCatchUpMs: [fromMs, toMs). */
  readonly gap: { fromMs: number; toMs: number } | null = null;

  constructor(
    private readonly settler: IntervalSettler,
    private readonly source: IntervalSource,
    readonly timing: LiveSettlementTiming,
    /** When the ledger is empty, settle from the first interval that starts at or after this. */
    startFromMs: number,
  ) {
    this.minutes = settler.site.market.intervalMinutes;
    const tz = settler.site.site.timezone;
    const aligned = intervalStartMs(startFromMs, this.minutes, tz);
    this.firstMs = aligned < startFromMs ? aligned + this.minutes * 60_000 : aligned;
    const span = settler.ledger.intervalSpan();
    const resumeMs = span ? span.lastMs + this.minutes * 60_000 : null;
    if (resumeMs !== null && resumeMs < startFromMs - timing.maxCatchUpMs && resumeMs < this.firstMs)
      this.gap = { fromMs: resumeMs, toMs: this.firstMs };
  }

  /** The start of the next interval to settle. */
  next(): number {
    const span = this.settler.ledger.intervalSpan();
    const after = span ? span.lastMs + this.minutes * 60_000 : this.firstMs;
    return this.gap && after <= this.gap.fromMs ? this.firstMs : after;
  }

  /** When the next interval may be settled (epoch ms). */
  dueMs(): number {
    return this.next() + this.minutes * 60_000 + this.timing.delayMs;
  }

  /**
   * Settles what is due at `nowMs`, stopping after `budgetMs` of work so that a catch-up never
   * holds the event loop for long; returns what it booked.
   */
  tick(nowMs: number, budgetMs = Infinity): SettleOutcome[] {
    const booked: SettleOutcome[] = [];
    const length = this.minutes * 60_000;
    const t0 = performance.now();
    for (let n = 0; n < this.timing.batch && performance.now() - t0 < budgetMs; n++) {
      const start = this.next();
      const end = start + length;
      if (nowMs < end + this.timing.delayMs) break;
      const pastBound = nowMs >= end + this.timing.lateBoundMs;
      const energies = this.source.energies(start, this.minutes);
      if ((!energies || !energies.complete) && !pastBound) break;
      const flags: string[] = [];
      if (!energies) flags.push('late', 'no-data');
      else if (!energies.complete) flags.push('late');
      booked.push(
        this.settler.settle(energies ?? emptyEnergies(this.settler.site, start, this.minutes), {
          flags,
          bookedMs: nowMs,
        }),
      );
    }
    return booked;
  }
}
