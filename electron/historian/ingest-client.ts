// The main thread's side of the ingest worker: it only buffers samples in columns and posts them
// once a cycle, and keeps every posted sample until the worker acknowledges its commit, so a
// worker that dies loses nothing acknowledged and hands the rest back for the inline writer.
//
// The worker's entry is the TypeScript module itself when the console runs from its sources
// (the CLI through tsx, and the tests), registered with tsx inside the worker; in the Electron
// bundle electron-vite builds it as a file of its own (`?modulePath`).
/// <reference types="electron-vite/node" />
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { AckMessage, BatchMessage, FromWorker, IngestWorkerData, ToWorker } from './ingest-protocol.ts';
import type { RollupRow } from './rollup-aggregator.ts';
import type { CommittedBatch, RecoveryReport, Sample } from './sample-writer.ts';
import { qualityName } from './sample-writer.ts';

const BOOTSTRAP = `
const { parentPort, workerData } = require('node:worker_threads');
(async () => {
  if (workerData.tsx) (await import(workerData.tsx)).register();
  await import(workerData.entry);
})().catch((error) => parentPort.postMessage({ op: 'fatal', error: String((error && error.message) || error) }));
`;
const STOP_TIMEOUT_MS = 20_000;

async function workerEntry(): Promise<{ entry: string; tsx: string | null }> {
  if (import.meta.url.endsWith('.ts')) {
    const pkgFile = createRequire(import.meta.url).resolve('tsx/package.json');
    const pkg = JSON.parse(fs.readFileSync(pkgFile, 'utf8')) as {
      exports: { './esm/api': { import: { default: string } } };
    };
    const api = path.join(path.dirname(pkgFile), pkg.exports['./esm/api'].import.default);
    return { entry: new URL('./ingest-worker.ts', import.meta.url).href, tsx: pathToFileURL(api).href };
  }
  const { default: file } = await import('./ingest-worker.ts?modulePath');
  return { entry: pathToFileURL(file).href, tsx: null };
}

interface Posted {
  samples: number;
  message: BatchMessage;
}

export class IngestClient {
  private readonly keyOf = new Map<string, Map<string, number>>();
  private readonly keyNames: Array<[string, string, string]> = [];
  private newKeys: Array<[number, string, string, string]> = [];
  private keys: number[] = [];
  private timesMs: number[] = [];
  private values: number[] = [];
  private qualities: number[] = [];
  private seq = 0;
  private readonly unacked = new Map<number, Posted>();
  private unackedSamples = 0;
  private readonly requests = new Map<number, (rows: RollupRow[][] | null) => void>();
  private nextRequest = 1;
  private stopped: ((error: string | null) => void) | null = null;
  private idleWaiters: Array<() => void> = [];
  private readyWaiter: { resolve: () => void; reject: (e: Error) => void } | null = null;
  /** Set when the worker failed; the console then writes inline. */
  failed: Error | null = null;
  ready = false;
  recovery: RecoveryReport | null = null;
  written = 0;
  dropped = 0;
  /** Lost in the worker (retries beyond its buffer) and here (the worker too far behind). */
  private workerLost = 0;
  private localLost = 0;
  workerPending = 0;
  lastBatch: CommittedBatch | null = null;
  lastError: string | null = null;
  /** The worker's time per batch, ms, newest last. */
  readonly commitMs: number[] = [];

  private constructor(
    private readonly worker: Worker,
    private readonly log: (message: string) => void,
    private readonly maxPending: number,
    private readonly onFailure: (error: Error) => void,
  ) {
    worker.on('message', (m: FromWorker) => this.receive(m));
    worker.on('error', (error) => this.fail(error));
    worker.on('exit', (code) => this.fail(new Error(`the ingest worker exited with code ${code}`)));
  }

  /** Starts the worker; resolves once it has opened the file and recovered, rejects if it cannot. */
  static async start(
    data: IngestWorkerData,
    log: (message: string) => void,
    onFailure: (error: Error) => void,
  ): Promise<IngestClient> {
    const { entry, tsx } = await workerEntry();
    const worker = new Worker(BOOTSTRAP, { eval: true, workerData: { ...data, entry, tsx } });
    const client = new IngestClient(worker, log, data.maxPendingSamples, onFailure);
    await new Promise<void>((resolve, reject) => {
      client.readyWaiter = { resolve, reject };
    });
    return client;
  }

  get lost(): number {
    return this.workerLost + this.localLost;
  }

  /** Samples not yet committed: buffered here, posted and unacknowledged, or kept by the worker for retry. */
  get pendingSamples(): number {
    return this.keys.length + this.unackedSamples + this.workerPending;
  }

  add(
    device: string,
    quantity: string,
    unit: string,
    timeMs: number,
    value: number | null,
    quality: number,
  ): void {
    let byQuantity = this.keyOf.get(device);
    if (!byQuantity) this.keyOf.set(device, (byQuantity = new Map<string, number>()));
    let key = byQuantity.get(quantity);
    if (key === undefined) {
      key = this.keyNames.length;
      byQuantity.set(quantity, key);
      this.keyNames.push([device, quantity, unit]);
      this.newKeys.push([key, device, quantity, unit]);
    }
    this.keys.push(key);
    this.timesMs.push(timeMs);
    this.values.push(value ?? Number.NaN);
    this.qualities.push(quality);
    if (this.keys.length + this.unackedSamples > this.maxPending) {
      // The worker is far behind (a disk that stalls): the oldest samples not yet posted go.
      const excess = Math.min(this.keys.length, this.keys.length + this.unackedSamples - this.maxPending);
      this.keys.splice(0, excess);
      this.timesMs.splice(0, excess);
      this.values.splice(0, excess);
      this.qualities.splice(0, excess);
      this.localLost += excess;
    }
  }

  /** Posts what is buffered (an empty batch too: it retries what the worker keeps after a failure). */
  post(nowMs: number): void {
    if (this.failed) return;
    const message: BatchMessage = {
      op: 'batch',
      seq: ++this.seq,
      nowMs,
      newKeys: this.newKeys,
      keys: Uint32Array.from(this.keys),
      timesMs: Float64Array.from(this.timesMs),
      values: Float64Array.from(this.values),
      qualities: Uint8Array.from(this.qualities),
    };
    this.newKeys = [];
    this.keys = [];
    this.timesMs = [];
    this.values = [];
    this.qualities = [];
    this.unacked.set(message.seq, { samples: message.keys.length, message });
    this.unackedSamples += message.keys.length;
    // Copied, not transferred: the columns stay here until the worker acknowledges them.
    this.send(message);
  }

  /** The open buckets of the running ingest, for queries; null when the worker cannot answer. */
  openRows(wants: Array<[number, number]>): Promise<RollupRow[][] | null> {
    if (this.failed || wants.length === 0) return Promise.resolve(wants.length === 0 ? [] : null);
    const id = this.nextRequest++;
    return new Promise((resolve) => {
      this.requests.set(id, resolve);
      this.send({ op: 'openRows', id, wants });
    });
  }

  /** Resolves when every batch posted so far is acknowledged (or the worker failed). */
  settled(): Promise<void> {
    if (this.unacked.size === 0 || this.failed) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Posts the rest, lets the worker commit it and record a clean stop, and ends the worker. */
  async stop(nowMs: number): Promise<string | null> {
    if (this.failed) return this.failed.message;
    this.post(nowMs);
    const result = await new Promise<string | null>((resolve) => {
      const timer = setTimeout(() => resolve('the ingest worker did not stop in time'), STOP_TIMEOUT_MS);
      this.stopped = (error) => {
        clearTimeout(timer);
        resolve(error);
      };
      this.send({ op: 'stop', nowMs });
    });
    this.failed = new Error('stopped');
    await this.worker.terminate();
    return result;
  }

  /** Ends a worker that was given nothing to write. */
  async abandon(): Promise<void> {
    this.failed ??= new Error('abandoned');
    await this.worker.terminate();
  }

  /** After a failure: every sample not acknowledged, oldest first, for the inline writer. */
  takeUnacknowledged(): Sample[] {
    const out: Sample[] = [];
    const push = (
      keys: ArrayLike<number>,
      times: ArrayLike<number>,
      values: ArrayLike<number>,
      q: ArrayLike<number>,
    ) => {
      for (let i = 0; i < keys.length; i++) {
        const [device, quantity, unit] = this.keyNames[keys[i]!]!;
        const value = values[i]!;
        out.push({
          device,
          quantity,
          unit,
          timeMs: times[i]!,
          value: Number.isNaN(value) ? null : value,
          quality: qualityName[q[i]!] ?? 'bad',
        });
      }
    };
    for (const { message: m } of [...this.unacked.values()].sort((a, b) => a.message.seq - b.message.seq))
      push(m.keys, m.timesMs, m.values, m.qualities);
    push(this.keys, this.timesMs, this.values, this.qualities);
    this.unacked.clear();
    this.unackedSamples = 0;
    this.keys = [];
    this.timesMs = [];
    this.values = [];
    this.qualities = [];
    return out;
  }

  private send(message: ToWorker): void {
    try {
      this.worker.postMessage(message);
    } catch (error) {
      this.fail(error as Error);
    }
  }

  private receive(m: FromWorker): void {
    switch (m.op) {
      case 'ready':
        this.ready = true;
        this.recovery = m.recovery;
        this.readyWaiter?.resolve();
        this.readyWaiter = null;
        return;
      case 'ack':
        this.acknowledge(m);
        return;
      case 'openRows': {
        const resolve = this.requests.get(m.id);
        this.requests.delete(m.id);
        resolve?.(m.rows);
        return;
      }
      case 'stopped':
        this.stopped?.(m.error);
        this.stopped = null;
        return;
      case 'fatal':
        this.fail(new Error(m.error));
        return;
      case 'log':
        this.log(m.message);
        return;
    }
  }

  private acknowledge(m: AckMessage): void {
    // Batches are committed in order: this one and every earlier one are settled (committed, or
    // kept by the worker for retry and counted in its pending samples).
    for (const [seq, posted] of this.unacked) {
      if (seq > m.seq) break;
      this.unacked.delete(seq);
      this.unackedSamples -= posted.samples;
    }
    this.written = m.written;
    this.dropped = m.dropped;
    this.workerLost = m.lost;
    this.workerPending = m.pending;
    this.lastBatch = m.batch;
    this.lastError = m.error;
    this.commitMs.push(m.commitMs);
    if (this.commitMs.length > 600) this.commitMs.shift();
    if (this.unacked.size === 0) this.wakeIdle();
  }

  private wakeIdle(): void {
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const wake of waiters) wake();
  }

  private fail(error: Error): void {
    if (this.failed) return;
    this.failed = error;
    for (const resolve of this.requests.values()) resolve(null);
    this.requests.clear();
    this.stopped?.(error.message);
    this.stopped = null;
    this.wakeIdle();
    if (this.readyWaiter) {
      this.readyWaiter.reject(error);
      this.readyWaiter = null;
      void this.worker.terminate();
      return;
    }
    this.onFailure(error);
  }
}
