// Decoding ledger entries into what settlement, statements and queries work with.
import type { SettlementState } from '../../shared/settlement/interval-settlement.ts';
import type { SiteSnapshot } from '../../shared/settlement/site-snapshot.ts';
import type { StatementEntry } from '../../shared/settlement/statement.ts';
import type { Ledger, LedgerEntry } from './ledger.ts';
import { decodeAdjustmentPayload, decodeIntervalPayload, decodeSitePayload } from './ledger-payload.ts';

/** The idempotency key of an interval's settlement: one entry per interval, ever. */
export const intervalKey = (startMs: number) => `interval:${startMs}`;

/** The state an entry leaves for the next interval. */
export function stateAfter(entry: LedgerEntry): SettlementState {
  if (entry.kind === 'interval') return decodeIntervalPayload(entry.payload).settlement.closing;
  if (entry.kind === 'adjustment') return decodeAdjustmentPayload(entry.payload).state;
  throw new Error(`ledger entry ${entry.seq} (${entry.kind}) carries no settlement state`);
}

/** A ledger entry about an interval, decoded for statements and queries. */
export function statementEntry(entry: LedgerEntry): StatementEntry {
  if (entry.kind === 'interval')
    return {
      seq: entry.seq,
      hash: entry.hash,
      kind: 'interval',
      bookedMs: entry.bookedMs,
      settlement: decodeIntervalPayload(entry.payload).settlement,
    };
  if (entry.kind === 'adjustment') {
    const a = decodeAdjustmentPayload(entry.payload);
    return {
      seq: entry.seq,
      hash: entry.hash,
      kind: 'adjustment',
      bookedMs: entry.bookedMs,
      settlement: a.settlement,
      delta: a.delta,
      reason: a.reason,
    };
  }
  throw new Error(`ledger entry ${entry.seq} (${entry.kind}) is not about an interval`);
}

/** The site snapshot in force for the ledger: its latest site entry. */
export function ledgerSite(ledger: Ledger): SiteSnapshot | null {
  const entry = ledger.last('site');
  return entry ? decodeSitePayload(entry.payload) : null;
}
