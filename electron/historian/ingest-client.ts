// The main thread's side of the ingest worker: it only buffers samples in columns and posts them
// once a cycle, and keeps every posted sample until the worker acknowledges its commit, so a
// worker that dies loses nothing acknowledged and hands the rest back for the inline writer.
// The worker is started by the platform's worker host (electron/platform/worker-host.ts).
/// <reference types="electron-vite/node" />
import { WorkerHost, type WorkerModule } from '../platform/worker-host.ts';
import type { AckMessage, BatchMessage, IngestProtocol, IngestWorkerData } from './ingest-protocol.ts';
import type { RollupRow } from './rollup-aggregator.ts';
import type { CommittedBatch, RecoveryReport, Sample } from './sample-writer.ts';
import { qualityName } from './sample-writer.ts';

const INGEST_WORKER: WorkerModule = {
  name: 'the ingest worker',
  source: new URL('./ingest-worker.ts', import.meta.url),
  bundled: () => import('./ingest-worker.ts?modulePath'),
};
const STOP_TIMEOUT_MS = 20_000;

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
  private idleWaiters: Array<() => void> = [];
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
    private readonly worker: WorkerHost<IngestProtocol>,
    private readonly maxPending: number,
    private readonly onFailure: (error: Error) => void,
  ) {
    this.ready = true;
    this.recovery = worker.ready.recovery;
  }

  /** Starts the worker; resolves once it has opened the file and recovered, rejects if it cannot. */
  static async start(
    data: IngestWorkerData,
    log: (message: string) => void,
    onFailure: (error: Error) => void,
  ): Promise<IngestClient> {
    let client: IngestClient | null = null;
    // Kept alive while it runs: samples posted to it are not durable until it acknowledges them.
    const worker = await WorkerHost.start<IngestProtocol>(INGEST_WORKER, {
      data,
      keepAlive: 'always',
      onEvent: (event) => log(event.log),
      onDeath: (error) => client?.fail(error),
    });
    client = new IngestClient(worker, data.maxPendingSamples, onFailure);
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
    // Copied, not transferred: the columns stay here until the worker acknowledges them. A batch
    // the worker never acknowledges is settled by the failure (takeUnacknowledged).
    this.worker.request('batch', message).then(
      (ack) => this.acknowledge(ack),
      () => undefined,
    );
  }

  /** The open buckets of the running ingest, for queries; null when the worker cannot answer. */
  openRows(wants: Array<[number, number]>): Promise<RollupRow[][] | null> {
    if (this.failed || wants.length === 0) return Promise.resolve(wants.length === 0 ? [] : null);
    return this.worker.request('openRows', { wants }).catch(() => null);
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
    let timer: NodeJS.Timeout | undefined;
    const result = await Promise.race([
      this.worker.request('stop', { nowMs }).then(
        ({ error }) => error,
        (error: Error) => error.message,
      ),
      new Promise<string>((resolve) => {
        timer = setTimeout(() => resolve('the ingest worker did not stop in time'), STOP_TIMEOUT_MS);
      }),
    ]);
    clearTimeout(timer);
    this.failed = new Error('stopped');
    await this.worker.stop();
    return result;
  }

  /** Ends a worker that was given nothing to write. */
  async abandon(): Promise<void> {
    this.failed ??= new Error('abandoned');
    await this.worker.stop();
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
    this.wakeIdle();
    this.onFailure(error);
  }
}
