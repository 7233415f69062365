// One Modbus/TCP connection per endpoint (host:port), the only module that touches
// modbus-serial. It puts a bound on everything modbus-serial leaves open: a timeout on every
// request, a reconnect with capped exponential backoff after the socket closes, and a limit on
// requests in flight. After a timeout the socket is dropped and reopened, so a late reply can
// never be matched to a later request (modbus-serial's transaction ids wrap at 256).
import ModbusRTU from 'modbus-serial';

export class ModbusTimeoutError extends Error {
  override name = 'ModbusTimeoutError';
}
export class ModbusExceptionError extends Error {
  override name = 'ModbusExceptionError';
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}
export class ModbusOfflineError extends Error {
  override name = 'ModbusOfflineError';
}

const exceptionNames: Record<number, string> = {
  1: 'illegal function',
  2: 'illegal data address',
  3: 'illegal data value',
  4: 'server device failure',
  5: 'acknowledge',
  6: 'server device busy',
  10: 'gateway path unavailable',
  11: 'gateway target failed to respond',
};

export function describeException(code: number): string {
  return `exception ${code} (${exceptionNames[code] ?? 'unknown'})`;
}

export interface ConnectionOptions {
  /** Requests in flight at once: 1 behind an RS-485 gateway (one wire), up to 16 on direct TCP. */
  maxInFlight: number;
  connectTimeoutMs: number;
  backoffInitialMs: number;
  /** A device that keeps failing is retried at most this often. */
  backoffMaxMs: number;
}

export const defaultConnectionOptions: ConnectionOptions = {
  maxInFlight: 1,
  connectTimeoutMs: 2000,
  backoffInitialMs: 500,
  backoffMaxMs: 5 * 60_000,
};

interface Job {
  run: (client: ModbusRTU) => Promise<unknown>;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

export type ConnectionState = 'idle' | 'connecting' | 'open' | 'backoff';

export class ModbusConnection {
  private client: ModbusRTU | null = null;
  private connecting: Promise<ModbusRTU> | null = null;
  private readonly queue: Job[] = [];
  private inFlight = 0;
  private failures = 0;
  private retryAtMs = 0;
  private closed = false;
  state: ConnectionState = 'idle';
  lastError: string | null = null;

  constructor(
    readonly host: string,
    readonly port: number,
    readonly options: ConnectionOptions = defaultConnectionOptions,
    private readonly now: () => number = Date.now,
  ) {}

  get key(): string {
    return `${this.host}:${this.port}`;
  }

  /** Milliseconds until the next connection attempt is allowed (0 when it may try now). */
  get backoffRemainingMs(): number {
    return Math.max(0, this.retryAtMs - this.now());
  }

  readRegisters(
    unitId: number,
    fn: 'holding' | 'input',
    address: number,
    count: number,
    timeoutMs: number,
  ): Promise<Uint16Array> {
    return this.enqueue(timeoutMs, (client) =>
      callback<{ data: number[] }>((next) =>
        fn === 'holding'
          ? client.writeFC3(unitId, address, count, next)
          : client.writeFC4(unitId, address, count, next),
      ).then((result) => {
        if (result.data.length !== count)
          throw new Error(
            `short reply: asked for ${count} registers at ${address}, got ${result.data.length}`,
          );
        return Uint16Array.from(result.data);
      }),
    );
  }

  writeRegisters(
    unitId: number,
    address: number,
    values: readonly number[],
    timeoutMs: number,
  ): Promise<void> {
    return this.enqueue(timeoutMs, (client) =>
      callback<unknown>((next) => client.writeFC16(unitId, address, [...values], next)).then(() => undefined),
    );
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const job of this.queue.splice(0))
      job.reject(new ModbusOfflineError(`${this.key}: connection closed`));
    this.drop();
  }

  private enqueue<T>(timeoutMs: number, run: (client: ModbusRTU) => Promise<T>): Promise<T> {
    if (this.closed) return Promise.reject(new ModbusOfflineError(`${this.key}: connection closed`));
    const wait = this.backoffRemainingMs;
    if (this.state === 'backoff' && wait > 0) {
      // Fail fast while backing off: a dead device must not hold up anyone's cycle.
      return Promise.reject(
        new ModbusOfflineError(
          `${this.key}: offline (${this.lastError ?? 'no answer'}), next try in ${Math.ceil(wait / 1000)} s`,
        ),
      );
    }
    return new Promise<T>((resolve, reject) => {
      this.queue.push({
        run: (client) => withTimeout(run(client), timeoutMs, () => this.onTimeout(timeoutMs)),
        resolve: resolve as (value: unknown) => void,
        reject,
      });
      this.pump();
    });
  }

  private pump(): void {
    while (this.inFlight < this.options.maxInFlight && this.queue.length > 0) {
      const job = this.queue.shift() as Job;
      this.inFlight++;
      void this.open()
        .then((client) => job.run(client))
        .then(job.resolve, job.reject)
        .finally(() => {
          this.inFlight--;
          this.pump();
        });
    }
  }

  private onTimeout(timeoutMs: number): Error {
    // The reply may still come; a fresh socket guarantees it reaches nobody.
    this.drop();
    return new ModbusTimeoutError(`${this.key}: no reply within ${timeoutMs} ms`);
  }

  private open(): Promise<ModbusRTU> {
    if (this.client?.isOpen) return Promise.resolve(this.client);
    if (this.connecting) return this.connecting;
    const wait = this.backoffRemainingMs;
    if (wait > 0)
      return Promise.reject(
        new ModbusOfflineError(`${this.key}: offline, next try in ${Math.ceil(wait / 1000)} s`),
      );
    this.state = 'connecting';
    const client = new ModbusRTU();
    // Our own timers bound each request; modbus-serial's is a backstop only.
    client.setTimeout(60_000);
    client.on('error', () => undefined);
    client.on('close', () => {
      if (this.client === client) this.client = null;
      if (this.state === 'open') this.state = 'idle';
    });
    this.connecting = withTimeout(
      client.connectTCP(this.host, { port: this.port }),
      this.options.connectTimeoutMs,
      () =>
        new ModbusTimeoutError(`${this.key}: connect timed out after ${this.options.connectTimeoutMs} ms`),
    )
      .then(() => {
        this.client = client;
        this.failures = 0;
        this.retryAtMs = 0;
        this.state = 'open';
        this.lastError = null;
        return client;
      })
      .catch((error: unknown) => {
        try {
          client.destroy(() => undefined);
        } catch {
          // already gone
        }
        this.failures++;
        const delay = Math.min(
          this.options.backoffMaxMs,
          this.options.backoffInitialMs * 2 ** (this.failures - 1),
        );
        this.retryAtMs = this.now() + delay;
        this.state = 'backoff';
        this.lastError = error instanceof Error ? error.message : String(error);
        throw new ModbusOfflineError(`${this.key}: cannot connect (${this.lastError})`);
      })
      .finally(() => {
        this.connecting = null;
      });
    return this.connecting;
  }

  private drop(): void {
    const client = this.client;
    this.client = null;
    if (this.state === 'open') this.state = 'idle';
    if (client) {
      try {
        client.destroy(() => undefined);
      } catch {
        // already closed
      }
    }
  }
}

function callback<T>(start: (next: (error: unknown, result: T) => void) => void): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    start((error, result) => {
      if (error) reject(translate(error));
      else resolve(result);
    });
  });
}

function translate(error: unknown): Error {
  const e = error as { modbusCode?: number; message?: string; errno?: string };
  if (typeof e.modbusCode === 'number')
    return new ModbusExceptionError(e.modbusCode, `Modbus ${describeException(e.modbusCode)}`);
  return error instanceof Error ? error : new Error(String(e.message ?? error));
}

function withTimeout<T>(promise: Promise<T>, ms: number, onTimeout: () => Error): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(onTimeout()), ms);
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error instanceof Error ? error : new Error(String(error)));
      },
    );
  });
}
