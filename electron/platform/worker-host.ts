// The one way the console starts a worker thread. A worker is a real TypeScript module that calls
// `serveWorker` (worker-runtime.ts); from the sources (the CLI through tsx, and the tests) it is
// loaded through tsx-worker.mjs, which registers tsx inside the new thread (under Node 20 tsx
// registers itself on the main thread only), and in the Electron bundle electron-vite builds it as
// a chunk of its own, found through the caller's `?modulePath` import. The host numbers requests,
// matches replies, and turns a worker that dies into one error: every pending request is rejected
// with it and the caller's `onDeath` runs once, so the caller can fall back to its main-thread path.
/// <reference types="electron-vite/node" />
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import type {
  ReplyOf,
  RequestBody,
  RequestMessage,
  RequestName,
  WorkerMessage,
  WorkerProtocol,
  WorkerStart,
} from './worker-protocol.ts';

/** Where a worker module is, from the sources and in the bundle. */
export interface WorkerModule {
  /** Named in errors and logs: "the ingest worker". */
  name: string;
  /** The .ts module: `new URL('./x-worker.ts', import.meta.url)`. */
  source: URL;
  /** Its bundled chunk: `() => import('./x-worker.ts?modulePath')`, electron-vite's file path. */
  bundled: () => Promise<{ default: string }>;
}

export interface WorkerOptions<P extends WorkerProtocol> {
  data: P['data'];
  onEvent?: (event: P['event']) => void;
  /** Called once if the worker dies after it was ready; not when it is stopped. */
  onDeath?: (error: Error) => void;
  /**
   * 'while-busy' (the default): the worker keeps the process alive only while a request is
   * pending, so an idle worker never holds a stopping process. 'always': until it is stopped.
   */
  keepAlive?: 'while-busy' | 'always';
}

/** A request the worker answered with an error: its message, and the error's name and code. */
export class WorkerRequestError extends Error {
  constructor(
    message: string,
    override readonly name: string,
    readonly code: string | null,
  ) {
    super(message);
  }
}

const runningFromSources = import.meta.url.endsWith('.ts');

async function entryOf(module: WorkerModule): Promise<{ file: URL; entry: string | null }> {
  if (runningFromSources)
    return { file: new URL('./tsx-worker.mjs', import.meta.url), entry: module.source.href };
  const { default: file } = await module.bundled();
  return { file: pathToFileURL(file), entry: null };
}

type Pending = { resolve: (reply: unknown) => void; reject: (error: Error) => void };

export class WorkerHost<P extends WorkerProtocol> {
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private deathError: Error | null = null;
  private stopping = false;

  private constructor(
    private readonly worker: Worker,
    private readonly module: WorkerModule,
    private readonly options: WorkerOptions<P>,
    /** What the worker reported when it was ready. */
    readonly ready: P['ready'],
  ) {}

  /** Starts the worker; resolves once it is ready, rejects (naming the worker) if it cannot start. */
  static async start<P extends WorkerProtocol>(
    module: WorkerModule,
    options: WorkerOptions<P>,
  ): Promise<WorkerHost<P>> {
    const { file, entry } = await entryOf(module);
    const workerData: WorkerStart<P> = { entry, data: options.data };
    const worker = new Worker(file, { workerData });
    let host: WorkerHost<P> | null = null;
    // Messages after 'ready' that arrive before the host exists are kept for it, in order, and so
    // is a death in that moment.
    const early: Array<WorkerMessage<P>> = [];
    let earlyDeath: Error | null = null;
    let isReady = false;
    const ready = await new Promise<P['ready']>((resolve, reject) => {
      const failStart = (error: Error) => {
        void worker.terminate();
        reject(new Error(`${module.name} could not start: ${error.message}`));
      };
      worker.on('message', (message: WorkerMessage<P>) => {
        if (host) return host.receive(message);
        if (isReady) early.push(message);
        else if (message.kind === 'ready') {
          isReady = true;
          resolve(message.ready);
        } else if (message.kind === 'fatal') failStart(new Error(message.error));
        else if (message.kind === 'event') options.onEvent?.(message.event);
      });
      const end = (error: Error) => {
        if (host) host.die(error);
        else if (isReady) earlyDeath ??= error;
        else failStart(error);
      };
      worker.on('error', end);
      worker.on('exit', (code) => end(new Error(`${module.name} exited with code ${code}`)));
    });
    host = new WorkerHost(worker, module, options, ready);
    for (const message of early) host.receive(message);
    if (earlyDeath) host.die(earlyDeath);
    if (options.keepAlive !== 'always') worker.unref();
    return host;
  }

  /** Why the worker is gone (died or stopped), or null while it runs. */
  get dead(): Error | null {
    return this.deathError;
  }

  /** Sends one request; rejects with a WorkerRequestError if the worker refuses it, or if it dies. */
  request<K extends RequestName<P>>(name: K, body: RequestBody<P, K>): Promise<ReplyOf<P, K>> {
    if (this.deathError) return Promise.reject(this.deathError);
    const id = this.nextId++;
    return new Promise<ReplyOf<P, K>>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (reply: unknown) => void, reject });
      if (this.options.keepAlive !== 'always') this.worker.ref();
      const message: RequestMessage = { id, name, body };
      try {
        this.worker.postMessage(message);
      } catch (error) {
        // A body that cannot be cloned fails this request only.
        this.settle(id);
        reject(error as Error);
      }
    });
  }

  /** Ends the worker; pending requests are rejected, and onDeath is not called. */
  async stop(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    this.die(new Error(`${this.module.name} is stopped`));
    await this.worker.terminate();
  }

  /**
   * Ends the thread at once, as a crash would: pending requests fail and onDeath runs. For a
   * worker that hangs, and for tests of the callers' fallback.
   */
  async terminate(): Promise<number> {
    return this.worker.terminate();
  }

  private settle(id: number): Pending | undefined {
    const pending = this.pending.get(id);
    this.pending.delete(id);
    if (this.pending.size === 0 && this.options.keepAlive !== 'always') this.worker.unref();
    return pending;
  }

  private receive(message: WorkerMessage<P>): void {
    if (message.kind === 'event') this.options.onEvent?.(message.event);
    else if (message.kind === 'reply') {
      const pending = this.settle(message.id);
      if (!pending) return;
      if (message.ok) pending.resolve(message.reply);
      else pending.reject(new WorkerRequestError(message.error, message.name, message.code));
    } else if (message.kind === 'fatal') this.die(new Error(`${this.module.name} failed: ${message.error}`));
  }

  private die(error: Error): void {
    if (this.deathError) return;
    this.deathError = error;
    for (const pending of this.pending.values()) pending.reject(error);
    this.pending.clear();
    if (!this.stopping) {
      void this.worker.terminate();
      this.options.onDeath?.(error);
    }
  }
}
