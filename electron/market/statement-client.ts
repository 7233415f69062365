// The console's side of the statement worker (statement-worker.ts): started at the first
// statement asked for, kept for the next ones, and never keeping a stopping process alive. If it
// cannot start or dies, statements are built on the main thread as before, and the log says so.
// The worker is started by the platform's worker host (electron/platform/worker-host.ts).
/// <reference types="electron-vite/node" />
import type { LedgerAttestation } from '../../shared/settlement/statement.ts';
import { WorkerHost, type WorkerModule } from '../platform/worker-host.ts';
import type { Ledger } from './ledger.ts';
import { buildStatement, type BuiltStatement, type StatementFormats } from './statement-build.ts';
import type { StatementProtocol } from './statement-worker.ts';
import { ApiRefusal } from '../platform/api-refusal.ts';

const STATEMENT_WORKER: WorkerModule = {
  name: 'the statement worker',
  source: new URL('./statement-worker.ts', import.meta.url),
  bundled: () => import('./statement-worker.ts?modulePath'),
};

export class StatementClient {
  private worker: Promise<WorkerHost<StatementProtocol>> | null = null;
  /** Why the worker is not used; statements are then built inline. */
  failed: Error | null = null;
  closed = false;
  /** The worker's time for the last statement (ms), for the log and the bench. */
  lastWorkerMs: number | null = null;

  constructor(
    private readonly dataDir: string,
    /** The main-thread ledger connection, for the inline fallback. */
    private readonly inline: () => Ledger,
    private readonly log: (message: string) => void,
    useWorker = true,
  ) {
    if (!useWorker) this.failed = new Error('the worker is turned off');
  }

  get mode(): 'worker' | 'inline' {
    return this.failed ? 'inline' : 'worker';
  }

  async build(
    member: string,
    month: string,
    formats: StatementFormats,
    attestation: LedgerAttestation,
  ): Promise<BuiltStatement> {
    if (this.closed) throw new ApiRefusal('unavailable', 'the settlement service is stopping');
    if (!this.failed) {
      try {
        const worker = await (this.worker ??= this.start());
        const { built, ms } = await worker.request('statement', {
          member,
          month,
          html: formats.html,
          pdf: formats.pdf,
          attestation,
        });
        this.lastWorkerMs = ms;
        return built;
      } catch (error) {
        if (this.closed) throw new ApiRefusal('unavailable', 'the settlement service is stopping');
        // A statement the worker refused (no such member, no ledger) is the answer; only a worker
        // that could not start or died falls back to the main thread.
        if (!this.failed) throw error;
      }
    }
    return buildStatement(this.inline(), member, month, formats, attestation);
  }

  private async start(): Promise<WorkerHost<StatementProtocol>> {
    try {
      return await WorkerHost.start<StatementProtocol>(STATEMENT_WORKER, {
        data: { dataDir: this.dataDir },
        onDeath: (error) => this.fail(error),
      });
    } catch (error) {
      this.fail(error as Error);
      throw error;
    }
  }

  private fail(error: Error): void {
    if (!this.closed && !this.failed)
      this.log(`settlement: statements are built on the main thread (${error.message})`);
    this.failed ??= error;
    this.worker = null;
  }

  async close(): Promise<void> {
    this.closed = true;
    const worker = this.worker;
    this.worker = null;
    if (worker)
      await worker.then(
        (w) => w.stop(),
        () => undefined,
      );
  }
}
