// Settlement without the console: `commonwatt simulate --scenario FILE --data DIR` hands each
// simulated interval's energies here and gets a real ledger in DIR, from which statements and
// KPIs are made as for a live site. Entries are booked at the interval's simulated end, so the
// same scenario always yields the same ledger, hashes included.
import type { IntervalEnergies } from '../../shared/settlement/interval-energy.ts';
import type { SiteFile } from '../../shared/site/schema.ts';
import { IntervalSettler, type SettleOutcome } from './interval-settler.ts';
import { Ledger } from './ledger.ts';

export interface HeadlessSettlement {
  readonly settler: IntervalSettler;
  /** Settles one interval (idempotent: a re-run of the scenario books nothing twice). */
  settle(energies: IntervalEnergies, flags?: string[]): SettleOutcome;
  summary(): HeadlessSummary;
  close(): void;
}

export interface HeadlessSummary {
  settled: number;
  alreadySettled: number;
  /** Intervals already in the ledger whose energies now differ (a changed scenario or seed). */
  differing: number;
  alarms: string[];
  maxReconciliationErrorKWh: number;
  maxConservationError: number;
  settleMs: number;
}

export function createHeadlessSettlement(dataDir: string, site: SiteFile): HeadlessSettlement {
  // A simulation is re-run rather than recovered after a power loss: spare the disk the syncs.
  const ledger = Ledger.open(dataDir, { durability: 'process' });
  let settler: IntervalSettler;
  try {
    settler = new IntervalSettler(ledger, site);
  } catch (error) {
    ledger.close();
    throw error;
  }
  const summary: HeadlessSummary = {
    settled: 0,
    alreadySettled: 0,
    differing: 0,
    alarms: [],
    maxReconciliationErrorKWh: 0,
    maxConservationError: 0,
    settleMs: 0,
  };
  return {
    settler,
    settle(energies, flags = []) {
      const t0 = performance.now();
      const outcome = settler.settle(energies, {
        flags,
        bookedMs: energies.startMs + energies.minutes * 60_000,
      });
      summary.settleMs += performance.now() - t0;
      if (outcome.status === 'settled') {
        summary.settled++;
        const s = outcome.settlement;
        for (const alarm of s.alarms) summary.alarms.push(`${new Date(s.startMs).toISOString()}: ${alarm}`);
        summary.maxReconciliationErrorKWh = Math.max(
          summary.maxReconciliationErrorKWh,
          Math.abs(s.pool.flowErrorKWh),
          Math.abs(s.pool.stockErrorKWh),
        );
        summary.maxConservationError = Math.max(
          summary.maxConservationError,
          Math.abs(s.money.conservationError),
        );
      } else {
        summary.alreadySettled++;
        if (outcome.energiesDiffer) summary.differing++;
      }
      return outcome;
    },
    summary: () => ({ ...summary, alarms: [...summary.alarms] }),
    close: () => ledger.close(),
  };
}

/** The per-interval hook for the scenario runner: settle the interval the simulation just closed. */
export function settleScenarioInterval(
  settlement: HeadlessSettlement,
  energies: IntervalEnergies,
): SettleOutcome {
  return settlement.settle(energies);
}
