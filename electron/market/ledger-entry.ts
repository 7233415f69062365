// One entry of the settlement ledger as stored: what its hash covers and the hash itself.
export type EntryKind = 'site' | 'interval' | 'adjustment';

export interface LedgerEntry {
  seq: number;
  kind: EntryKind;
  /** What makes booking idempotent: one entry per key, ever. */
  key: string;
  intervalStartMs: number | null;
  bookedMs: number;
  /** Canonical JSON (see canonical-json.ts). */
  payload: string;
  prevHash: string;
  hash: string;
}
