// The worker thread's side of the worker host: a worker module calls `serveWorker` once at its top
// level with its set-up function, and gets typed requests in and typed replies out. Requests whose
// handler returns a value (not a promise) are answered in the order they came, which the ingest
// worker's acknowledgements rely on.
import { parentPort, workerData } from 'node:worker_threads';
import type {
  ReplyOf,
  RequestBody,
  RequestMessage,
  RequestName,
  WorkerMessage,
  WorkerProtocol,
  WorkerStart,
} from './worker-protocol.ts';

export type WorkerHandlers<P extends WorkerProtocol> = {
  [K in RequestName<P>]: (body: RequestBody<P, K>) => ReplyOf<P, K> | Promise<ReplyOf<P, K>>;
};

export interface WorkerSetup<P extends WorkerProtocol> {
  ready: P['ready'];
  handlers: WorkerHandlers<P>;
}

/**
 * Serves the worker's requests on this thread. `setUp` gets the start data and a way to send
 * events; if it throws, the host's start fails with its message. Outside a worker thread (the
 * module imported for its types, or by a test) this does nothing.
 */
export function serveWorker<P extends WorkerProtocol>(
  setUp: (data: P['data'], emit: (event: P['event']) => void) => WorkerSetup<P> | Promise<WorkerSetup<P>>,
): void {
  const port = parentPort;
  const start = workerData as WorkerStart<P> | null;
  if (!port || !start || !('data' in start)) return;
  const send = (message: WorkerMessage<P>) => port.postMessage(message);
  const emit = (event: P['event']) => send({ kind: 'event', event });
  const refuse = (id: number, error: unknown) => {
    const e = error instanceof Error ? error : new Error(String(error));
    const code = (e as { code?: unknown }).code;
    send({
      kind: 'reply',
      id,
      ok: false,
      error: e.message,
      name: e.name,
      code: typeof code === 'string' ? code : null,
    });
  };

  void (async () => {
    let setup: WorkerSetup<P>;
    try {
      setup = await setUp(start.data, emit);
    } catch (error) {
      send({ kind: 'fatal', error: error instanceof Error ? error.message : String(error) });
      return;
    }
    const handlers = setup.handlers as Record<string, (body: unknown) => unknown>;
    port.on('message', (message: RequestMessage) => {
      const handler = Object.hasOwn(handlers, message.name) ? handlers[message.name] : undefined;
      if (!handler) return refuse(message.id, new Error(`the worker has no request '${message.name}'`));
      let result: unknown;
      try {
        result = handler(message.body);
      } catch (error) {
        return refuse(message.id, error);
      }
      if (result instanceof Promise)
        result.then(
          (reply: unknown) => send({ kind: 'reply', id: message.id, ok: true, reply }),
          (error: unknown) => refuse(message.id, error),
        );
      else send({ kind: 'reply', id: message.id, ok: true, reply: result });
    });
    send({ kind: 'ready', ready: setup.ready });
  })();
}
