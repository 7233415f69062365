// A handler throws this when a call is well-formed but cannot be done here and now: the caller
// gets the code and the reason, not a generic failure (see `FailureCode` in shared/api/contract.ts).
import type { FailureCode } from '../../shared/api/contract.ts';

export type RefusalCode = Exclude<FailureCode, 'unknown-call' | 'failed'>;

export class ApiRefusal extends Error {
  override name = 'ApiRefusal';
  constructor(
    readonly code: RefusalCode,
    message: string,
  ) {
    super(message);
  }
}
