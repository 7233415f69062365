// The console's side of the statement worker (statement-worker.ts): started at the first
// statement asked for, kept for the next ones, and never keeping a stopping process alive. If it
// cannot start or dies, statements are built on the main thread as before, and the log says so.
//
// The worker's entry is the TypeScript module itself when the console runs from its sources (the
// CLI through tsx, and the tests), registered with tsx inside the worker; in the Electron bundle
// electron-vite builds it as a file of its own (`?modulePath`), as for the historian's ingest worker.
/// <reference types="electron-vite/node" />
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { Ledger } from './ledger.ts';
import { buildStatement, type BuiltStatement, type StatementFormats } from './statement-build.ts';
import type { StatementReply, StatementRequest, StatementWorkerData } from './statement-worker.ts';

const BOOTSTRAP = `
const { parentPort, workerData } = require('node:worker_threads');
(async () => {
  if (workerData.tsx) (await import(workerData.tsx)).register();
  await import(workerData.entry);
})().catch((error) => parentPort.postMessage({ fatal: String((error && error.message) || error) }));
`;

async function workerEntry(): Promise<{ entry: string; tsx: string | null }> {
  if (import.meta.url.endsWith('.ts')) {
    const pkgFile = createRequire(import.meta.url).resolve('tsx/package.json');
    const pkg = JSON.parse(fs.readFileSync(pkgFile, 'utf8')) as {
      exports: { './esm/api': { import: { default: string } } };
    };
    const api = path.join(path.dirname(pkgFile), pkg.exports['./esm/api'].import.default);
    return { entry: new URL('./statement-worker.ts', import.meta.url).href, tsx: pathToFileURL(api).href };
  }
  const { default: file } = await import('./statement-worker.ts?modulePath');
  return { entry: pathToFileURL(file).href, tsx: null };
}

type Pending = { resolve: (r: BuiltStatement) => void; reject: (e: Error) => void };

export class StatementClient {
  private worker: Worker | null = null;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
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

  async build(member: string, month: string, formats: StatementFormats): Promise<BuiltStatement> {
    if (this.closed) throw new Error('the settlement service is stopping');
    if (!this.failed) {
      try {
        const worker = this.worker ?? (await this.start());
        return await this.request(worker, member, month, formats);
      } catch (error) {
        // A statement the worker refused (no such member, no ledger) is the answer; only a worker
        // that could not start or died falls back to the main thread.
        if (!this.failed) throw error;
      }
    }
    return buildStatement(this.inline(), member, month, formats);
  }

  private async start(): Promise<Worker> {
    try {
      const { entry, tsx } = await workerEntry();
      const workerData: StatementWorkerData & { entry: string; tsx: string | null } = {
        dataDir: this.dataDir,
        entry,
        tsx,
      };
      const worker = new Worker(BOOTSTRAP, { eval: true, workerData });
      worker.unref();
      worker.on('message', (m: StatementReply | { fatal: string }) => {
        if ('fatal' in m) return this.fail(worker, new Error(m.fatal));
        const p = this.pending.get(m.id);
        this.pending.delete(m.id);
        if (!p) return;
        if (m.ok) {
          this.lastWorkerMs = m.ms;
          p.resolve(m.result);
        } else p.reject(new Error(m.error));
      });
      worker.on('error', (error) => this.fail(worker, error));
      worker.on('exit', (code) =>
        this.fail(worker, new Error(`the statement worker exited with code ${code}`)),
      );
      this.worker = worker;
      return worker;
    } catch (error) {
      this.fail(null, error as Error);
      throw error;
    }
  }

  private fail(worker: Worker | null, error: Error): void {
    if (worker !== this.worker && worker !== null) return;
    if (!this.closed && !this.failed)
      this.log(`settlement: statements are built on the main thread (statement worker: ${error.message})`);
    this.failed ??= error;
    this.worker = null;
    for (const p of this.pending.values()) p.reject(error);
    this.pending.clear();
  }

  private request(
    worker: Worker,
    member: string,
    month: string,
    formats: StatementFormats,
  ): Promise<BuiltStatement> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      // A pending statement keeps the worker referenced, so a CLI awaiting it does not exit early.
      worker.ref();
      const request: StatementRequest = { id, member, month, html: formats.html, pdf: formats.pdf };
      worker.postMessage(request);
    }).finally(() => {
      if (this.pending.size === 0) worker.unref();
    }) as Promise<BuiltStatement>;
  }

  async close(): Promise<void> {
    this.closed = true;
    const worker = this.worker;
    this.worker = null;
    for (const p of this.pending.values()) p.reject(new Error('the settlement service is stopping'));
    this.pending.clear();
    if (worker) await worker.terminate();
  }
}
