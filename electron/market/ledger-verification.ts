// The console's standing verdict on its ledger: verified in full once at open, then only the
// entries appended since (and the head's signature) each time a view asks, and in full again on
// `settlement/verify`. Members, KPIs and statements read it, so no figure is shown from a ledger
// that failed without saying so, and a long ledger is not walked again for every view.
import type { LedgerVerifyResult } from '../../shared/api/settlement-api.ts';
import type { LedgerAttestation } from '../../shared/settlement/statement.ts';
import { LedgerWalk, type Ledger } from './ledger.ts';

export class LedgerVerification {
  private walk: LedgerWalk;
  private result: LedgerVerifyResult;
  /** The last entry and head the result covers; the ledger is walked again when either moves. */
  private seen: string;

  constructor(
    private readonly ledger: Ledger,
    private readonly log: (message: string) => void = () => {},
  ) {
    this.walk = new LedgerWalk(ledger);
    this.result = ledger.verify(this.walk);
    this.seen = this.position();
    this.report();
  }

  private position(): string {
    const head = this.ledger.readHead();
    const last = this.ledger.last();
    return `${last?.seq ?? 0}:${last?.hash ?? ''}:${head.status === 'present' ? `${head.seq}:${head.signature ?? head.unsigned}` : head.status}`;
  }

  private report(): void {
    if (!this.result.ok)
      this.log(
        `settlement: the ledger failed verification at entry ${this.result.seq}: ${this.result.problem}`,
      );
  }

  /** Walks the whole ledger again. */
  full(): LedgerVerifyResult {
    this.walk = new LedgerWalk(this.ledger);
    this.result = this.ledger.verify(this.walk);
    this.seen = this.position();
    this.report();
    return this.result;
  }

  /** The verdict as of now: the entries appended since the last look are checked first. */
  current(): LedgerVerifyResult {
    const position = this.position();
    if (position === this.seen) return this.result;
    const wasOk = this.result.ok;
    this.result = this.ledger.verify(this.walk);
    this.seen = position;
    if (wasOk) this.report();
    return this.result;
  }

  /** The signed head a statement may be made under, or an error naming the entry that failed. */
  attestation(): LedgerAttestation {
    const result = this.current();
    if (!result.ok) throw new LedgerVerificationError(result);
    if (!this.walk.attestation) throw new LedgerVerificationError(null);
    return this.walk.attestation;
  }
}

/** A statement refused because its ledger does not verify. */
export class LedgerVerificationError extends Error {
  override name = 'LedgerVerificationError';
  constructor(readonly result: (LedgerVerifyResult & { ok: false }) | null) {
    super(
      result
        ? `statement refused: the ledger failed verification at entry ${result.seq} (${result.kind}), which ${result.problem}; run 'commonwatt ledger verify' for details`
        : 'statement refused: the ledger holds no signed head yet (settle an interval first)',
    );
  }
}
