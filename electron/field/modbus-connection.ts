// One Modbus/TCP connection per endpoint (host:port). It frames requests itself on `net` rather
// than through modbus-serial, because modbus-serial's traps are exactly the ones a village site
// hits: no timeout unless set, no reconnect after the socket closes, and 8-bit transaction ids
// matched loosely, so under load a reply can reach the wrong request. Here every request has a
// timeout, 16-bit transaction ids are never reused while a late reply could still be on its way,
// each reply is checked against its request (transaction id, unit id, function, byte count,
// echoed address) before anyone sees it, and a stream that stops being Modbus is dropped.
import net from 'node:net';

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
/** The endpoint cannot be reached (refused, unreachable, or backing off after such failures). */
export class ModbusOfflineError extends Error {
  override name = 'ModbusOfflineError';
}
/** The socket closed, or the byte stream stopped being Modbus/TCP, while the request waited. */
export class ModbusConnectionLostError extends Error {
  override name = 'ModbusConnectionLostError';
}
/** A reply arrived for this request but does not fit it (wrong unit, function, length or echo). */
export class ModbusReplyError extends Error {
  override name = 'ModbusReplyError';
}

const exceptionNames: Record<number, string> = {
  1: 'illegal function',
  2: 'illegal data address',
  3: 'illegal data value',
  4: 'server device failure',
  5: 'acknowledge',
  6: 'server device busy',
  8: 'memory parity error',
  10: 'gateway path unavailable',
  11: 'gateway target failed to respond',
};

export function describeException(code: number): string {
  return `exception ${code} (${exceptionNames[code] ?? 'unknown'})`;
}

/** Errors worth one immediate retry: the request may never have reached the device. */
export function isTransient(error: unknown): boolean {
  return (
    error instanceof ModbusConnectionLostError ||
    error instanceof ModbusReplyError ||
    (error instanceof ModbusExceptionError && (error.code === 5 || error.code === 6))
  );
}

/** Errors that say the endpoint, not the unit, is unreachable. */
export function isConnectionLevel(error: unknown): boolean {
  return error instanceof ModbusOfflineError || error instanceof ModbusConnectionLostError;
}

export interface ConnectionOptions {
  /** Requests in flight at once: 1 behind an RS-485 gateway (one wire), up to 16 on direct TCP. */
  maxInFlight: number;
  connectTimeoutMs: number;
  backoffInitialMs: number;
  /** An endpoint that keeps failing is retried at least this often (5 minutes). */
  backoffMaxMs: number;
  /**
   * While the endpoint answered within `recentWindowMs`, reconnects are never further apart than
   * this (the shortest poll period of its devices), so a restarted gateway is back within two
   * periods; after a longer outage the backoff grows to `backoffMaxMs`.
   */
  recentBackoffCapMs: number;
  recentWindowMs: number;
  /** Consecutive timeouts with no reply at all in between before the socket is replaced (half-open). */
  dropAfterTimeouts: number;
  /** Immediate retries of a request that failed transiently (socket lost, garbled reply, busy). */
  retries: number;
}

export const MAX_IN_FLIGHT = 16;

export const defaultConnectionOptions: ConnectionOptions = {
  maxInFlight: 1,
  connectTimeoutMs: 2000,
  backoffInitialMs: 500,
  backoffMaxMs: 5 * 60_000,
  recentBackoffCapMs: 1000,
  recentWindowMs: 10 * 60_000,
  dropAfterTimeouts: 2,
  retries: 1,
};

export type ConnectionState = 'idle' | 'connecting' | 'open' | 'backoff' | 'closed';

export interface ConnectionStats {
  requests: number;
  replies: number;
  timeouts: number;
  exceptions: number;
  /** Replies whose transaction id matched nothing pending (late, duplicated or misaddressed): dropped. */
  strayReplies: number;
  /** Replies that matched a transaction id but not its request: refused. */
  mismatchedReplies: number;
  /** Sockets dropped because the stream was not Modbus/TCP. */
  garbledStreams: number;
  connects: number;
  connectFailures: number;
}

interface Request {
  unitId: number;
  functionCode: number;
  /** The whole ADU; its transaction id is written when it is sent. */
  frame: Buffer;
  /** Set once the frame was handed to a socket: a retry sends a copy, never the buffer in use. */
  sent: boolean;
  timeoutMs: number;
  /** Register address and count of a read (what its reply must carry). */
  address: number;
  count: number;
  /** Checks the reply PDU (function code and exceptions already handled) and returns the result. */
  accept: (pdu: Buffer, request: Request) => unknown;
  resolve: (value: unknown) => void;
  reject: (error: Error) => void;
  retriesLeft: number;
}

interface Pending {
  request: Request;
  timer: NodeJS.Timeout;
  socket: net.Socket;
}

const MBAP = 7;
/**
 * A connection attempt this close to its backoff's end may go: a poll due one period after the
 * last attempt must not find a millisecond left (timers and Date.now round differently) and
 * fail fast, which made the reconnects two periods apart.
 */
const RETRY_EARLY_MS = 5;
const EMPTY = Buffer.alloc(0);
/** A transaction id that timed out is not reused for this long: its reply may still arrive. */
const QUARANTINE_MS = 5 * 60_000;

/** A request's ADU with room for the MBAP header in front of its PDU. */
function frameFor(unitId: number, pduLength: number): Buffer {
  const frame = Buffer.alloc(MBAP + pduLength);
  frame.writeUInt16BE(pduLength + 1, 4);
  frame.writeUInt8(unitId, 6);
  return frame;
}

// Registers are decoded into views on a shared slab, as Buffer.allocUnsafe does for bytes: V8
// allocates a typed array of more than 64 bytes outside the heap, which cost 0.2 to 1 µs per read
// (measured here), more than the rest of decoding a reply.
const SLAB_BYTES = 16 * 1024;
let slab = new ArrayBuffer(SLAB_BYTES);
let slabUsed = 0;

function registerArray(count: number): Uint16Array {
  const bytes = count * 2;
  if (slabUsed + bytes > SLAB_BYTES) {
    slab = new ArrayBuffer(SLAB_BYTES);
    slabUsed = 0;
  }
  const out = new Uint16Array(slab, slabUsed, count);
  slabUsed += bytes;
  return out;
}

function acceptRead(reply: Buffer, request: Request): Uint16Array {
  const { count } = request;
  const bytes = reply.length >= 2 ? (reply[1] as number) : -1;
  if (bytes !== count * 2 || reply.length !== 2 + count * 2)
    throw new ModbusReplyError(
      `unit ${request.unitId}: reply to a read of ${count} registers at ${request.address} carries ${Math.max(0, reply.length - 2)} bytes (byte count ${bytes})`,
    );
  const out = registerArray(count);
  for (let i = 0, at = 2; i < count; i++, at += 2)
    out[i] = ((reply[at] as number) << 8) | (reply[at + 1] as number);
  return out;
}

export class ModbusConnection {
  private socket: net.Socket | null = null;
  private connecting: Promise<net.Socket> | null = null;
  private readonly queue: Request[] = [];
  private readonly pending = new Map<number, Pending>();
  private readonly quarantine = new Map<number, number>();
  private nextTransactionId = 1;
  private failures = 0;
  private retryAtMs = 0;
  private timeoutsInARow = 0;
  private closed = false;
  /** The device closed or reset the socket (a restart), rather than us dropping it. */
  private lostByPeer = false;
  private rx: Buffer = EMPTY;
  private readonly upListeners = new Set<() => void>();
  readonly options: ConnectionOptions;
  state: ConnectionState = 'idle';
  lastError: string | null = null;
  /** When the endpoint last sent a well-formed reply (an exception reply counts: it is alive). */
  lastReplyMs = 0;
  readonly stats: ConnectionStats = {
    requests: 0,
    replies: 0,
    timeouts: 0,
    exceptions: 0,
    strayReplies: 0,
    mismatchedReplies: 0,
    garbledStreams: 0,
    connects: 0,
    connectFailures: 0,
  };

  constructor(
    readonly host: string,
    readonly port: number,
    options: Partial<ConnectionOptions> = {},
    private readonly now: () => number = Date.now,
  ) {
    const merged = { ...defaultConnectionOptions, ...options };
    merged.maxInFlight = Math.max(1, Math.min(MAX_IN_FLIGHT, Math.floor(merged.maxInFlight)));
    this.options = merged;
  }

  get key(): string {
    return `${this.host}:${this.port}`;
  }

  /** Milliseconds until the next connection attempt is allowed (0 when it may try now). */
  get backoffRemainingMs(): number {
    return Math.max(0, this.retryAtMs - this.now());
  }

  get inFlight(): number {
    return this.pending.size;
  }

  /** Called each time a socket opens after the endpoint had been unreachable or the socket lost. */
  onUp(listener: () => void): () => void {
    this.upListeners.add(listener);
    return () => this.upListeners.delete(listener);
  }

  readRegisters(
    unitId: number,
    fn: 'holding' | 'input',
    address: number,
    count: number,
    timeoutMs: number,
  ): Promise<Uint16Array> {
    if (!Number.isInteger(count) || count < 1 || count > 125)
      return Promise.reject(new RangeError(`cannot read ${count} registers in one request (1 to 125)`));
    const functionCode = fn === 'holding' ? 3 : 4;
    const frame = frameFor(unitId, 5);
    frame.writeUInt8(functionCode, MBAP);
    frame.writeUInt16BE(address, MBAP + 1);
    frame.writeUInt16BE(count, MBAP + 3);
    return this.request<Uint16Array>(unitId, functionCode, frame, timeoutMs, acceptRead, address, count);
  }

  /** Function 16 (or 6 for one register when `single` is set: some relays accept only that). */
  writeRegisters(
    unitId: number,
    address: number,
    values: readonly number[],
    timeoutMs: number,
    single = false,
  ): Promise<void> {
    if (values.length < 1 || values.length > 123)
      return Promise.reject(
        new RangeError(`cannot write ${values.length} registers in one request (1 to 123)`),
      );
    if (single && values.length === 1) {
      const frame = frameFor(unitId, 5);
      frame.writeUInt8(6, MBAP);
      frame.writeUInt16BE(address, MBAP + 1);
      frame.writeUInt16BE((values[0] ?? 0) & 0xffff, MBAP + 3);
      const pdu = Buffer.from(frame.subarray(MBAP));
      return this.request<void>(unitId, 6, frame, timeoutMs, (reply) => {
        if (!reply.equals(pdu))
          throw new ModbusReplyError(`unit ${unitId}: write of register ${address} was not echoed back`);
      });
    }
    const frame = frameFor(unitId, 6 + values.length * 2);
    frame.writeUInt8(16, MBAP);
    frame.writeUInt16BE(address, MBAP + 1);
    frame.writeUInt16BE(values.length, MBAP + 3);
    frame.writeUInt8(values.length * 2, MBAP + 5);
    values.forEach((v, i) => frame.writeUInt16BE(v & 0xffff, MBAP + 6 + i * 2));
    return this.request<void>(unitId, 16, frame, timeoutMs, (reply) => {
      if (reply.length !== 5 || reply.readUInt16BE(1) !== address || reply.readUInt16BE(3) !== values.length)
        throw new ModbusReplyError(
          `unit ${unitId}: reply to a write of ${values.length} registers at ${address} does not echo it`,
        );
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    this.state = 'closed';
    const error = new ModbusOfflineError(`${this.key}: connection closed`);
    for (const request of this.queue.splice(0)) request.reject(error);
    this.drop(error);
  }

  private request<T>(
    unitId: number,
    functionCode: number,
    frame: Buffer,
    timeoutMs: number,
    accept: (pdu: Buffer, request: Request) => T,
    address = 0,
    count = 0,
  ): Promise<T> {
    if (this.closed) return Promise.reject(new ModbusOfflineError(`${this.key}: connection closed`));
    const wait = this.backoffRemainingMs;
    if (wait > RETRY_EARLY_MS && !this.socket) {
      // Fail fast while backing off: a dead endpoint costs no one any time.
      return Promise.reject(
        new ModbusOfflineError(
          `${this.key}: offline (${this.lastError ?? 'no answer'}); next try in ${Math.ceil(wait / 1000)} s`,
        ),
      );
    }
    return new Promise<T>((resolve, reject) => {
      this.queue.push({
        unitId,
        functionCode,
        frame,
        sent: false,
        timeoutMs,
        address,
        count,
        accept,
        resolve: resolve as (value: unknown) => void,
        reject,
        retriesLeft: this.options.retries,
      });
      this.pump();
    });
  }

  private pump(): void {
    if (this.closed) return;
    while (this.queue.length > 0 && this.pending.size < this.options.maxInFlight) {
      if (!this.socket) {
        void this.open().then(
          () => this.pump(),
          (error: Error) => {
            for (const request of this.queue.splice(0)) request.reject(error);
          },
        );
        return;
      }
      this.send(this.queue.shift() as Request, this.socket);
    }
  }

  private send(request: Request, socket: net.Socket): void {
    const id = this.allocateTransactionId();
    // A socket may still hold the buffer of an earlier attempt.
    if (request.sent) request.frame = Buffer.from(request.frame);
    request.sent = true;
    const frame = request.frame;
    frame.writeUInt16BE(id, 0);
    const timer = setTimeout(() => this.onTimeout(id), request.timeoutMs);
    this.pending.set(id, { request, timer, socket });
    this.stats.requests++;
    socket.write(frame);
  }

  private allocateTransactionId(): number {
    const now = this.now();
    for (let tries = 0; tries < 0x10000; tries++) {
      const id = this.nextTransactionId;
      this.nextTransactionId = (id + 1) & 0xffff;
      if (this.pending.has(id)) continue;
      const until = this.quarantine.get(id);
      if (until !== undefined) {
        if (until > now) continue;
        this.quarantine.delete(id);
      }
      return id;
    }
    // Unreachable with at most 16 in flight unless 65 000 requests timed out in five minutes.
    this.quarantine.clear();
    return this.nextTransactionId;
  }

  private onTimeout(id: number): void {
    const entry = this.pending.get(id);
    if (!entry) return;
    this.pending.delete(id);
    // The reply may still come: its id stays out of use, so it can only ever be recognised as stray.
    this.quarantine.set(id, this.now() + QUARANTINE_MS);
    this.stats.timeouts++;
    this.timeoutsInARow++;
    const { request } = entry;
    request.reject(
      new ModbusTimeoutError(`${this.key} unit ${request.unitId}: no reply within ${request.timeoutMs} ms`),
    );
    if (this.rx.length > 0 && this.socket === entry.socket) {
      // Part of a frame is stuck in the buffer: whatever comes next would be read out of step.
      this.stats.garbledStreams++;
      this.drop(new ModbusConnectionLostError(`${this.key}: a reply stopped mid-frame; reconnecting`));
    } else if (this.timeoutsInARow >= this.options.dropAfterTimeouts && this.socket === entry.socket) {
      // Nothing at all has come back for a while: the socket may be half-open (cable cut, NAT
      // timeout). A fresh one tells us at once, and costs a live device one connect.
      this.drop(new ModbusConnectionLostError(`${this.key}: no replies; reconnecting`));
    }
    this.pump();
  }

  private onData(socket: net.Socket, chunk: Buffer): void {
    if (socket !== this.socket) return;
    // Each chunk is a buffer of its own (the socket never reuses it), so frames are handed on as
    // views of it rather than copies.
    const rx = this.rx.length === 0 ? chunk : Buffer.concat([this.rx, chunk]);
    let at = 0;
    while (rx.length - at >= MBAP) {
      const protocol = rx.readUInt16BE(at + 2);
      const length = rx.readUInt16BE(at + 4);
      if (protocol !== 0 || length < 2 || length > 254) {
        // Not Modbus/TCP framing: nothing after this can be trusted to start at a frame boundary.
        this.stats.garbledStreams++;
        this.drop(
          new ModbusConnectionLostError(`${this.key}: the reply stream is not Modbus/TCP; reconnecting`),
        );
        return;
      }
      const total = 6 + length;
      if (rx.length - at < total) break;
      const id = rx.readUInt16BE(at);
      const unitId = rx[at + 6] as number;
      const pdu = rx.subarray(at + MBAP, at + total);
      at += total;
      this.onFrame(id, unitId, pdu);
      // A socket dropped meanwhile took its buffer with it.
      if (socket !== this.socket) return;
    }
    this.rx = at === 0 ? rx : at === rx.length ? EMPTY : rx.subarray(at);
  }

  private onFrame(id: number, unitId: number, pdu: Buffer): void {
    const entry = this.pending.get(id);
    if (!entry) {
      this.stats.strayReplies++;
      return;
    }
    const { request } = entry;
    const fn = pdu.readUInt8(0);
    if (unitId !== request.unitId || (fn & 0x7f) !== request.functionCode) {
      // Right id, wrong request: the server (or gateway) mixed its replies up. The matching reply
      // for this request will not come; fail it now rather than hand over someone else's data.
      this.settle(id, entry);
      this.stats.mismatchedReplies++;
      this.retryOrReject(
        request,
        new ModbusReplyError(
          `${this.key}: reply for unit ${unitId} function ${fn} arrived with the id of a request to unit ${request.unitId} function ${request.functionCode}`,
        ),
      );
      return;
    }
    this.settle(id, entry);
    this.lastReplyMs = this.now();
    this.timeoutsInARow = 0;
    this.stats.replies++;
    if (fn & 0x80) {
      const code = pdu.length >= 2 ? pdu.readUInt8(1) : 0;
      this.stats.exceptions++;
      this.retryOrReject(
        request,
        new ModbusExceptionError(code, `unit ${request.unitId}: Modbus ${describeException(code)}`),
      );
      return;
    }
    let result: unknown;
    try {
      result = request.accept(pdu, request);
    } catch (error) {
      this.stats.mismatchedReplies++;
      this.retryOrReject(request, error instanceof Error ? error : new Error(String(error)));
      return;
    }
    request.resolve(result);
  }

  private settle(id: number, entry: Pending): void {
    clearTimeout(entry.timer);
    this.pending.delete(id);
    // Anything queued later starts its own pump.
    if (this.queue.length > 0) queueMicrotask(this.pumpLater);
  }

  private readonly pumpLater = (): void => this.pump();

  private retryOrReject(request: Request, error: Error): void {
    if (request.retriesLeft > 0 && isTransient(error) && !this.closed) {
      request.retriesLeft--;
      this.queue.unshift(request);
      // Busy devices get a moment; a lost socket is reopened by the pump.
      if (error instanceof ModbusExceptionError) setTimeout(() => this.pump(), 50);
      else queueMicrotask(() => this.pump());
      return;
    }
    request.reject(error);
  }

  private open(): Promise<net.Socket> {
    if (this.socket) return Promise.resolve(this.socket);
    if (this.connecting) return this.connecting;
    const wait = this.backoffRemainingMs;
    if (wait > RETRY_EARLY_MS)
      return Promise.reject(
        new ModbusOfflineError(
          `${this.key}: offline (${this.lastError ?? 'no answer'}); next try in ${Math.ceil(wait / 1000)} s`,
        ),
      );
    this.state = 'connecting';
    // The backoff runs from the start of an attempt, not its end: a poll one period after this
    // one may try again, even though this attempt took a while to be refused or to time out.
    const attemptMs = this.now();
    this.connecting = new Promise<net.Socket>((resolve, reject) => {
      const socket = net.connect({ host: this.host, port: this.port });
      socket.setNoDelay(true);
      const timer = setTimeout(() => {
        socket.destroy();
        fail(new Error(`connect timed out after ${this.options.connectTimeoutMs} ms`));
      }, this.options.connectTimeoutMs);
      const fail = (error: Error) => {
        clearTimeout(timer);
        socket.destroy();
        this.failures++;
        this.stats.connectFailures++;
        const recent = this.lastReplyMs > 0 && this.now() - this.lastReplyMs < this.options.recentWindowMs;
        const cap = recent
          ? Math.min(this.options.backoffMaxMs, this.options.recentBackoffCapMs)
          : this.options.backoffMaxMs;
        const delay = Math.min(cap, this.options.backoffInitialMs * 2 ** (this.failures - 1));
        this.retryAtMs = attemptMs + delay;
        this.state = this.closed ? 'closed' : 'backoff';
        this.lastError = describeSocketError(error);
        reject(new ModbusOfflineError(`${this.key}: cannot connect (${this.lastError})`));
      };
      socket.once('error', fail);
      socket.once('connect', () => {
        clearTimeout(timer);
        socket.off('error', fail);
        if (this.closed) {
          socket.destroy();
          reject(new ModbusOfflineError(`${this.key}: connection closed`));
          return;
        }
        const wasDown = this.failures > 0 || this.lostByPeer;
        this.lostByPeer = false;
        this.failures = 0;
        this.retryAtMs = 0;
        this.timeoutsInARow = 0;
        this.stats.connects++;
        this.state = 'open';
        this.lastError = null;
        this.socket = socket;
        this.rx = EMPTY;
        socket.on('data', (chunk: Buffer) => this.onData(socket, chunk));
        socket.on('error', (error) => {
          if (this.socket !== socket) return;
          this.lostByPeer = true;
          this.drop(new ModbusConnectionLostError(`${this.key}: ${describeSocketError(error)}`));
        });
        socket.on('close', () => {
          if (this.socket !== socket) return;
          this.lostByPeer = true;
          this.drop(new ModbusConnectionLostError(`${this.key}: connection closed by the device`));
        });
        resolve(socket);
        if (wasDown) for (const listener of this.upListeners) listener();
      });
    }).finally(() => {
      this.connecting = null;
    });
    return this.connecting;
  }

  private drop(error: Error): void {
    const socket = this.socket;
    this.socket = null;
    this.rx = EMPTY;
    if (this.state === 'open') this.state = 'idle';
    if (socket) {
      this.lastError = error.message;
      socket.destroy();
    }
    const lost = [...this.pending.entries()].filter(([, p]) => p.socket === socket || !socket);
    for (const [id, entry] of lost) {
      clearTimeout(entry.timer);
      this.pending.delete(id);
      // A request written to a dead socket may have reached the device: its id stays quarantined.
      this.quarantine.set(id, this.now() + QUARANTINE_MS);
      this.retryOrReject(entry.request, error);
    }
  }
}

function describeSocketError(error: Error): string {
  const code = (error as NodeJS.ErrnoException).code;
  switch (code) {
    case 'ECONNREFUSED':
      return 'connection refused: is the device or gateway powered and listening on this port?';
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return 'host unreachable: check the network and the address';
    case 'ECONNRESET':
      return 'connection reset by the device';
    case 'ETIMEDOUT':
      return 'connect timed out';
    default:
      return error.message;
  }
}
