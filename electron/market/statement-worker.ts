// The statement worker: builds members' statements on a thread of its own, over a read-only
// connection to DIR/ledger.db (WAL lets it read beside the console's writer). A month's statement
// decodes some thirty megabytes of ledger JSON, which on the main thread would hold the
// controller's tick, the poller and every viewer for most of a second.
import { parentPort, workerData } from 'node:worker_threads';
import { Ledger } from './ledger.ts';
import { buildStatement, type BuiltStatement, type StatementFormats } from './statement-build.ts';

export interface StatementWorkerData {
  dataDir: string;
}

export interface StatementRequest extends StatementFormats {
  id: number;
  member: string;
  month: string;
}

export type StatementReply =
  { id: number; ok: true; result: BuiltStatement; ms: number } | { id: number; ok: false; error: string };

const port = parentPort;
const data = workerData as StatementWorkerData | null;
if (port && data) run(port, data);

function run(port: NonNullable<typeof parentPort>, data: StatementWorkerData): void {
  // Opened at the first request: the ledger may not exist yet when the console starts.
  let ledger: Ledger | null = null;
  port.on('message', (request: StatementRequest) => {
    const started = performance.now();
    void (async () => {
      try {
        ledger ??= Ledger.openReader(data.dataDir);
        const result = await buildStatement(ledger, request.member, request.month, request);
        const reply: StatementReply = { id: request.id, ok: true, result, ms: performance.now() - started };
        port.postMessage(reply);
      } catch (error) {
        const reply: StatementReply = {
          id: request.id,
          ok: false,
          error: error instanceof Error ? error.message : String(error),
        };
        port.postMessage(reply);
      }
    })();
  });
}
