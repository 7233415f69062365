// WAL checkpoints and the background integrity check, on a worker thread with a connection of
// its own: a checkpoint syncs the disk and a full check reads the whole file, and neither may
// hold the main thread. Where a worker cannot be started (a platform without worker threads for
// native modules) checkpoints run inline, and are timed like everything else on the main thread.
//
// The worker's code is a small CommonJS string, so that it runs the same from the TypeScript
// sources (tsx), from the bundled Electron main process and in tests, with no build step.
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import type { Db } from './database.ts';

export interface CheckpointResult {
  busy: number;
  /** Frames in the WAL, and how many of them are now in the database file. */
  walFrames: number;
  checkpointedFrames: number;
  ms: number;
}

const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
let db = null;
const open = () => {
  if (!db) {
    db = new Database(workerData.file, { fileMustExist: true, readonly: workerData.readonly });
    db.pragma('busy_timeout = 0');
  }
  return db;
};
parentPort.on('message', (message) => {
  const started = performance.now();
  try {
    let result;
    if (message.op === 'checkpoint') {
      const row = open().pragma('wal_checkpoint(PASSIVE)')[0];
      result = { busy: row.busy, walFrames: row.log, checkpointedFrames: row.checkpointed };
    } else if (message.op === 'check') {
      result = open().pragma(message.full ? 'integrity_check' : 'quick_check').map((r) => Object.values(r)[0]);
    } else if (message.op === 'close') {
      if (db) db.close();
      db = null;
      result = null;
    }
    parentPort.postMessage({ id: message.id, ok: true, result, ms: performance.now() - started });
  } catch (error) {
    parentPort.postMessage({ id: message.id, ok: false, error: String(error && error.message || error), code: error && error.code });
  }
});
`;

type Pending = { resolve: (v: unknown) => void; reject: (e: Error) => void };

/** A worker thread that owns one connection to the historian file. */
class DbWorker {
  private readonly worker: Worker;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private failed: Error | null = null;

  constructor(file: string, readonly: boolean) {
    const driver = createRequire(import.meta.url).resolve('better-sqlite3');
    this.worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { file, driver, readonly } });
    // The worker must never keep a stopping process alive.
    this.worker.unref();
    this.worker.on(
      'message',
      (m: { id: number; ok: boolean; result?: unknown; error?: string; ms: number }) => {
        const p = this.pending.get(m.id);
        this.pending.delete(m.id);
        if (!p) return;
        if (m.ok) p.resolve({ result: m.result, ms: m.ms });
        else p.reject(new Error(m.error ?? 'worker failed'));
      },
    );
    this.worker.on('error', (error) => this.fail(error));
    this.worker.on('exit', (code) => this.fail(new Error(`historian worker exited with code ${code}`)));
  }

  private fail(error: Error): void {
    this.failed ??= error;
    for (const p of this.pending.values()) p.reject(error);
    this.pending.clear();
  }

  get broken(): Error | null {
    return this.failed;
  }

  request<T>(message: Record<string, unknown>): Promise<{ result: T; ms: number }> {
    if (this.failed) return Promise.reject(this.failed);
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.worker.postMessage({ ...message, id });
    });
  }

  async terminate(): Promise<void> {
    try {
      await this.request({ op: 'close' });
    } catch {
      // Closing a worker that already failed.
    }
    await this.worker.terminate();
  }
}

export class Checkpointer {
  private worker: DbWorker | null = null;
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
    try {
      this.worker = new DbWorker(file, false);
      this.mode = 'worker';
    } catch (error) {
      this.log(`historian: checkpoints run on the main thread (no worker: ${(error as Error).message})`);
    }
  }

  /**
   * A PASSIVE checkpoint: copies what it can of the WAL into the database and syncs it, never
   * waiting for readers or blocking the writer. Returns the main-thread time it took (0 on the worker).
   */
  run(now: number): number {
    if (this.running) return 0;
    if (this.worker && !this.worker.broken) {
      this.running = true;
      this.worker
        .request<CheckpointResult>({ op: 'checkpoint' })
        .then(({ result, ms }) => {
          this.last = { atMs: now, ms, walFrames: result.walFrames };
        })
        .catch((error: Error) => {
          this.log(`historian: checkpoint on the worker failed, continuing inline: ${error.message}`);
          this.mode = 'inline';
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
    await this.worker?.terminate();
    this.worker = null;
  }
}

/**
 * Runs PRAGMA quick_check (or integrity_check) on a short-lived worker with a read-only
 * connection; resolves with SQLite's findings ("ok" alone when there are none).
 */
export async function checkInBackground(file: string, full = false): Promise<string[]> {
  const worker = new DbWorker(file, true);
  try {
    const { result } = await worker.request<string[]>({ op: 'check', full });
    return result;
  } finally {
    await worker.terminate();
  }
}
