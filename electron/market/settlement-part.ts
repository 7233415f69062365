// The settlement part of the console: opens DIR/ledger.db, settles each closed interval a little
// after it closes (from the historian's counter deltas, with the mode the controller recorded),
// pushes what it booked and any alarm to every viewer, and answers the settlement API.
import type { HandlersOf } from '../../shared/api/contract.ts';
import type { SettlementApi } from '../../shared/api/settlement-api.ts';
import type { ConsoleContext, ConsolePart } from '../platform/console-part.ts';
import { IntervalSettler, type SettleOutcome } from './interval-settler.ts';
import { Ledger } from './ledger.ts';
import type { LedgerKeyStore } from './ledger-key.ts';
import {
  LiveSettlement,
  timingFromSite,
  type IntervalSource,
  type LiveSettlementTiming,
} from './live-settlement.ts';
import { SettlementService } from './settlement-service.ts';
import { StatementClient } from './statement-client.ts';

/** Work per slice of settling (ms); one interval takes a few milliseconds. */
const SLICE_MS = 50;

export interface SettlementPartOptions {
  /**
   * The interval energies: in the console, the historian's
   * `intervalEnergies(db, site, startMs, minutes, modeRecord.modeDuring(startMs, minutes))`.
   * Without one the part answers queries and re-settlements but settles nothing by itself.
   */
  source?: IntervalSource;
  /** Overrides the site file's `market.settlement` timing. */
  timing?: Partial<LiveSettlementTiming>;
  /** How often to look for closed intervals (ms). */
  tickMs?: number;
  /** Off: statements are built on the main thread (tests comparing the two). */
  statementWorker?: boolean;
  /**
   * Where the ledger's private key is kept: the user's config directory by default; the desktop
   * app may hand in a store over Electron's safeStorage (ledger-key.ts).
   */
  ledgerKeys?: LedgerKeyStore;
}

export function createSettlementPart(
  ctx: ConsoleContext,
  options: SettlementPartOptions = {},
): ConsolePart<HandlersOf<SettlementApi>> & {
  service: SettlementService;
  statements: StatementClient;
  live: LiveSettlement | null;
  /** Settles what is due now and tells every viewer (what the timer does every tickMs). */
  tick(): SettleOutcome[];
} {
  const ledger = Ledger.open(ctx.dataDir, { keys: options.ledgerKeys });
  let settler: IntervalSettler;
  try {
    settler = new IntervalSettler(ledger, ctx.sites.current());
  } catch (error) {
    ledger.close();
    throw error;
  }
  const live = options.source
    ? new LiveSettlement(
        settler,
        options.source,
        { ...timingFromSite(ctx.sites.current()), ...options.timing },
        ctx.now(),
      )
    : null;
  // A month's statement decodes the month's entries (tens of MB of JSON): on a worker thread, so
  // the controller's tick and the poller keep their second.
  const statements = new StatementClient(
    ctx.dataDir,
    () => ledger,
    (message) => ctx.log(message),
    options.statementWorker ?? true,
  );
  const service = new SettlementService(settler, {
    statements: (member, month, formats, attestation) =>
      statements.build(member, month, formats, attestation),
    log: (message) => ctx.log(message),
    live,
    source: options.source ?? null,
    liveSoc: () => ctx.snapshot().totals.socFraction,
    now: () => ctx.now(),
  });

  const announce = (
    outcome:
      | SettleOutcome
      | { seq: number | null; kind: 'adjustment'; startMs: number; flags: string[]; alarms: string[] },
  ) => {
    if ('status' in outcome) {
      if (outcome.status !== 'settled') return;
      const s = outcome.settlement;
      ctx.emit('settlement/settled', {
        seq: outcome.seq,
        kind: 'interval',
        startMs: s.startMs,
        flags: s.flags,
      });
      if (s.flags.includes('late'))
        ctx.emit('settlement/alarm', {
          startMs: s.startMs,
          message: `interval settled without every reading (missing: ${s.incompleteMembers.join(', ') || 'pool or PCC counters'}); re-settle it when the readings are in`,
        });
      for (const message of s.alarms) ctx.emit('settlement/alarm', { startMs: s.startMs, message });
      return;
    }
    if (outcome.seq === null) return;
    ctx.emit('settlement/settled', {
      seq: outcome.seq,
      kind: 'adjustment',
      startMs: outcome.startMs,
      flags: outcome.flags,
    });
    for (const message of outcome.alarms) ctx.emit('settlement/alarm', { startMs: outcome.startMs, message });
  };

  let timer: NodeJS.Timeout | null = null;
  let followUp: NodeJS.Timeout | null = null;
  let busy = false;
  const tick = (): SettleOutcome[] => {
    if (!live || busy) return [];
    busy = true;
    try {
      const t0 = performance.now();
      // Slices of at most SLICE_MS: the poller and the viewers keep their turn during a catch-up.
      const booked = live.tick(ctx.now(), SLICE_MS);
      const ms = performance.now() - t0;
      if (booked.length > 0 && ms > 4 * SLICE_MS)
        ctx.log(`settlement: ${booked.length} intervals settled in one slice of ${ms.toFixed(0)} ms`);
      for (const outcome of booked) announce(outcome);
      if (booked.length > 0 && timer && !followUp && live.dueMs() <= ctx.now())
        followUp = setTimeout(() => {
          followUp = null;
          tick();
        }, 20);
      return booked;
    } catch (error) {
      ctx.log(`settlement: ${(error as Error).message}`);
      return [];
    } finally {
      busy = false;
    }
  };

  const handlers: HandlersOf<SettlementApi> = {
    'settlement/status': () => service.status(),
    'settlement/members': ({ fromMs, toMs }) => service.members(fromMs, toMs),
    'settlement/member': ({ member, fromMs, toMs }) => service.member(member, fromMs, toMs),
    'settlement/storage': ({ fromMs, toMs }) => service.storage(fromMs, toMs),
    'settlement/kpis': ({ fromMs, toMs }) => service.kpis(fromMs, toMs),
    'settlement/intervals': ({ fromMs, toMs, limit }) => service.intervals(fromMs, toMs, limit),
    'settlement/statement': ({ member, month, html, pdf }) => service.statement(member, month, { html, pdf }),
    'settlement/resettle': ({ startMs, reason, corrections }) => {
      const result = service.resettle(startMs, reason, corrections);
      const entry = result.seq === null ? null : ledger.bySeq(result.seq);
      if (result.status === 'adjusted' && entry)
        announce({ seq: result.seq, kind: 'adjustment', startMs, flags: [], alarms: [] });
      return result;
    },
    'settlement/verify': () => service.verify(),
  };

  // Saved market settings settle the next interval; the ledger books the new site snapshot.
  const unfollow = ctx.sites.subscribe(({ site: saved }) => {
    try {
      settler.useSite(saved);
      ctx.log('settlement: the next interval settles under the saved market settings');
    } catch (error) {
      const message = `settlement keeps the settings it started with: ${(error as Error).message}`;
      ctx.log(message);
      ctx.emit('settlement/alarm', { startMs: ctx.now(), message });
    }
  });

  return {
    handlers,
    service,
    statements,
    live,
    tick,
    start() {
      // What a person must hear about the ledger's integrity, before anything else.
      const { signing } = ledger;
      for (const message of [
        signing.state === 'withheld'
          ? `ledger heads are written unsigned, so verification fails until this is resolved: ${signing.reason}`
          : null,
        signing.notice,
      ]) {
        if (!message) continue;
        ctx.log(`settlement: ${message}`);
        ctx.emit('settlement/alarm', { startMs: ctx.now(), message });
      }
      const verdict = service.verification.current();
      if (!verdict.ok)
        ctx.emit('settlement/alarm', {
          startMs: ctx.now(),
          message: `the ledger failed verification at entry ${verdict.seq}: ${verdict.problem}; statements are refused and the views say so`,
        });
      if (!live) {
        ctx.log('settlement: no interval energies source; closed intervals are not settled automatically');
        return;
      }
      if (live.gap) {
        const { fromMs, toMs } = live.gap;
        const message =
          `intervals from ${new Date(fromMs).toISOString()} to ${new Date(toMs).toISOString()} were not settled ` +
          '(the console was off for longer than market.settlement.maxCatchUpHours, or the ledger came from a simulation); ' +
          'settlement resumes from now';
        ctx.log(`settlement: ${message}`);
        ctx.emit('settlement/alarm', { startMs: fromMs, message });
      }
      const t = live.timing;
      ctx.log(
        `settlement: settles each ${live.minutes}-minute interval ${t.delayMs / 1000} s after it closes, ` +
          `waiting up to ${t.lateBoundMs / 1000} s for late readings`,
      );
      timer = setInterval(() => void tick(), options.tickMs ?? 5000);
      timer.unref?.();
      tick();
    },
    async stop() {
      unfollow();
      if (timer) clearInterval(timer);
      if (followUp) clearTimeout(followUp);
      timer = null;
      followUp = null;
      ledger.close();
      await statements.close();
    },
  };
}
