// WAL checkpoints and the background integrity check, on a worker thread with a connection of
// its own (checkpoint-worker.ts): a checkpoint syncs the disk and a full check reads the whole
// file, and neither may hold the main thread. Where the worker cannot be started (a platform
// without worker threads for native modules) or dies, checkpoints run inline, and are timed like
// everything else on the main thread.
/// <reference types="electron-vite/node" />
import { WorkerHost, type WorkerModule } from '../platform/worker-host.ts';
import type { CheckpointProtocol } from './checkpoint-worker.ts';
import type { Db } from './database.ts';

export type { CheckpointResult } from './checkpoint-worker.ts';

const CHECKPOINT_WORKER: WorkerModule = {
  name: 'the checkpoint worker',
  source: new URL('./checkpoint-worker.ts', import.meta.url),
  bundled: () => import('./checkpoint-worker.ts?modulePath'),
};

/** Starts a checkpoint worker; an idle one never keeps a stopping process alive. */
function startWorker(
  file: string,
  readonly: boolean,
  onDeath?: (error: Error) => void,
): Promise<WorkerHost<CheckpointProtocol>> {
  return WorkerHost.start<CheckpointProtocol>(CHECKPOINT_WORKER, {
    data: { file, readonly },
    ...(onDeath ? { onDeath } : {}),
  });
}

/** Closes the worker's connection, then ends the thread (a worker already gone needs neither). */
async function closeWorker(worker: WorkerHost<CheckpointProtocol>): Promise<void> {
  try {
    await worker.request('close', null);
  } catch {
    // Closing a worker that already failed.
  }
  await worker.stop();
}

export class Checkpointer {
  private worker: Promise<WorkerHost<CheckpointProtocol>> | null = null;
  /** 'worker' from the start when a worker is wanted; 'inline' once it cannot start or dies. */
  mode: 'worker' | 'inline' = 'inline';
  last: { atMs: number; ms: number; walFrames: number } | null = null;
  private running = false;

  constructor(
    private readonly db: Db,
    file: string,
    private readonly log: (message: string) => void,
    useWorker = true,
  ) {
    if (!useWorker) return;
    this.mode = 'worker';
    const fallBack = (error: Error) => {
      if (this.mode === 'inline') return;
      this.log(`historian: checkpoints run on the main thread (${error.message})`);
      this.mode = 'inline';
      this.worker = null;
    };
    this.worker = startWorker(file, false, fallBack);
    this.worker.catch(fallBack);
  }

  /**
   * A PASSIVE checkpoint: copies what it can of the WAL into the database and syncs it, never
   * waiting for readers or blocking the writer. Returns the main-thread time it took (0 on the worker).
   */
  run(now: number): number {
    if (this.running) return 0;
    if (this.worker && this.mode === 'worker') {
      this.running = true;
      this.worker
        .then((worker) => worker.request('checkpoint', null))
        .then((result) => {
          this.last = { atMs: now, ms: result.ms, walFrames: result.walFrames };
        })
        .catch((error: Error) => {
          // A worker that died has switched to inline already (fallBack); one that refused this
          // checkpoint (a busy file) is asked again next time.
          if (this.mode === 'worker')
            this.log(`historian: checkpoint on the worker failed: ${error.message}`);
        })
        .finally(() => {
          this.running = false;
        });
      return 0;
    }
    this.mode = 'inline';
    const started = performance.now();
    const row = (this.db.pragma('wal_checkpoint(PASSIVE)') as Array<{ log: number }>)[0];
    const ms = performance.now() - started;
    this.last = { atMs: now, ms, walFrames: row?.log ?? 0 };
    return ms;
  }

  async close(): Promise<void> {
    const worker = this.worker;
    this.worker = null;
    if (worker) await worker.then(closeWorker, () => undefined);
  }
}

/**
 * Runs PRAGMA quick_check (or integrity_check) on a short-lived worker with a read-only
 * connection; resolves with SQLite's findings ("ok" alone when there are none).
 */
export async function checkInBackground(file: string, full = false): Promise<string[]> {
  const worker = await startWorker(file, true);
  try {
    return await worker.request('check', { full });
  } finally {
    await closeWorker(worker);
  }
}
