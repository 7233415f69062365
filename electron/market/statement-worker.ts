// The statement worker: builds members' statements on a thread of its own, over a read-only
// connection to DIR/ledger.db (WAL lets it read beside the console's writer). A month's statement
// decodes some thirty megabytes of ledger JSON, which on the main thread would hold the
// controller's tick, the poller and every viewer for most of a second.
import type { LedgerAttestation } from '../../shared/settlement/statement.ts';
import { serveWorker } from '../platform/worker-runtime.ts';
import { Ledger } from './ledger.ts';
import { buildStatement, type BuiltStatement, type StatementFormats } from './statement-build.ts';

export interface StatementRequest extends StatementFormats {
  member: string;
  month: string;
  /** The signed head the console verified (the worker does not verify again). */
  attestation: LedgerAttestation;
}

/** The statement worker's protocol (see electron/platform/worker-protocol.ts). */
export interface StatementProtocol {
  data: { dataDir: string };
  ready: null;
  requests: {
    /** A refusal (no such member, no ledger) comes back as the request's error. */
    statement: { body: StatementRequest; reply: { built: BuiltStatement; ms: number } };
  };
  event: never;
}

serveWorker<StatementProtocol>(({ dataDir }) => {
  // Opened at the first request: the ledger may not exist yet when the console starts.
  let ledger: Ledger | null = null;
  return {
    ready: null,
    handlers: {
      statement: async (request) => {
        const started = performance.now();
        ledger ??= Ledger.openReader(dataDir);
        const built = await buildStatement(
          ledger,
          request.member,
          request.month,
          request,
          request.attestation,
        );
        return { built, ms: performance.now() - started };
      },
    },
  };
});
