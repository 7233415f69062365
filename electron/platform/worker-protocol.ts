// The typed protocol between the console and its worker threads (historian ingest, checkpoints,
// statements). A worker declares what it is started with, what it reports when ready, the requests
// it answers with their replies, and the events it sends unasked; the host (worker-host.ts) and
// the worker's side (worker-runtime.ts) carry every message in the envelopes below, so neither
// side handles a raw postMessage.

/** A worker's side of the contract, as one type: `interface XProtocol extends WorkerProtocol`. */
export interface WorkerProtocol {
  /** What the worker is started with (structured-cloneable). */
  data: unknown;
  /** What the worker reports once it has set itself up. */
  ready: unknown;
  /** Each request the worker answers, by name: its body and its reply. */
  requests: Record<string, { body: unknown; reply: unknown }>;
  /** What the worker says unasked (log lines and the like). */
  event: unknown;
}

export type RequestName<P extends WorkerProtocol> = keyof P['requests'] & string;
export type RequestBody<P extends WorkerProtocol, K extends RequestName<P>> = P['requests'][K]['body'];
export type ReplyOf<P extends WorkerProtocol, K extends RequestName<P>> = P['requests'][K]['reply'];

/** workerData as every worker gets it. */
export interface WorkerStart<P extends WorkerProtocol> {
  /** The module to load when the worker starts from the TypeScript sources (tsx-worker.mjs). */
  entry: string | null;
  data: P['data'];
}

export interface RequestMessage {
  id: number;
  name: string;
  body: unknown;
}

export type WorkerMessage<P extends WorkerProtocol> =
  | { kind: 'ready'; ready: P['ready'] }
  /** The worker could not set itself up; it sends nothing else. */
  | { kind: 'fatal'; error: string }
  | { kind: 'reply'; id: number; ok: true; reply: unknown }
  /** A request the worker refused or failed: its message, and the error's name and code if any. */
  | { kind: 'reply'; id: number; ok: false; error: string; name: string; code: string | null }
  | { kind: 'event'; event: P['event'] };
