// A Modbus/TCP server for the simulator and for tests: one listening socket, many unit ids
// behind it (as an RS-485 gateway presents them). Written on `net` rather than modbus-serial's
// ServerTCP because that one answers each request through a timer (≥1 ms each) and cannot
// misbehave on purpose, and the fault suite needs a server that can.
import net from 'node:net';

export const ModbusException = {
  IllegalFunction: 1,
  IllegalDataAddress: 2,
  IllegalDataValue: 3,
  ServerDeviceFailure: 4,
  ServerDeviceBusy: 6,
  GatewayPathUnavailable: 10,
  GatewayTargetFailedToRespond: 11,
} as const;

export class ModbusError extends Error {
  constructor(
    readonly code: number,
    message?: string,
  ) {
    super(message ?? `Modbus exception ${code}`);
  }
}

/** What one unit id answers: registers by address. Throw `ModbusError` to answer an exception. */
export interface RegisterBank {
  read(address: number, count: number): ArrayLike<number>;
  write(address: number, values: readonly number[]): void;
}

export interface RequestInfo {
  unitId: number;
  functionCode: number;
  transactionId: number;
  /** The request's PDU (function code first). */
  pdu: Buffer;
  socket: net.Socket;
  /** The frame the server would answer with (a write is carried out when this is called). */
  reply: () => Buffer;
}

/**
 * Test hook run before each request. Return:
 *  - undefined to answer normally;
 *  - 'drop' to never answer;
 *  - a number to answer with that exception code;
 *  - a Buffer to send instead of the real answer (short, malformed, wrong transaction id, noise);
 *  - 'reset' to close the connection at once;
 *  - 'reset-mid-frame' to send the first half of the real answer, then reset the connection.
 * A promise delays the verdict (a late reply: resolve with undefined after the client gave up).
 */
export type HookVerdict = 'drop' | 'reset' | 'reset-mid-frame' | number | Buffer | undefined;
export type RequestHook = (info: RequestInfo) => HookVerdict | Promise<HookVerdict>;

export interface ModbusServerOptions {
  host: string;
  port: number;
  units: Map<number, RegisterBank>;
  hook?: RequestHook;
}

export class ModbusTcpServer {
  private readonly server: net.Server;
  private readonly sockets = new Set<net.Socket>();
  hook: RequestHook | undefined;
  requests = 0;
  private listenedPort: number | undefined;

  constructor(private readonly options: ModbusServerOptions) {
    this.hook = options.hook;
    this.server = net.createServer((socket) => this.accept(socket));
  }

  get units(): Map<number, RegisterBank> {
    return this.options.units;
  }

  /** Listens (again, after `close`, on the same port: a device restart as the client sees it). */
  async listen(): Promise<number> {
    const port = this.listenedPort ?? this.options.port;
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, this.options.host, () => {
        this.server.off('error', reject);
        resolve();
      });
    });
    this.listenedPort = this.port;
    return this.port;
  }

  get port(): number {
    const address = this.server.address();
    return typeof address === 'object' && address ? address.port : (this.listenedPort ?? this.options.port);
  }

  /** Drops every open connection (a gateway reboot as the client sees it). */
  resetConnections(): void {
    for (const socket of this.sockets) socket.destroy();
  }

  async close(): Promise<void> {
    this.resetConnections();
    if (!this.server.listening) return;
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private accept(socket: net.Socket): void {
    this.sockets.add(socket);
    socket.setNoDelay(true);
    let buffer = Buffer.alloc(0);
    socket.on('data', (chunk) => {
      buffer = buffer.length === 0 ? chunk : Buffer.concat([buffer, chunk]);
      while (buffer.length >= 7) {
        const length = buffer.readUInt16BE(4);
        if (length < 2 || length > 254) {
          // Not Modbus/TCP framing: a real server closes rather than guess where frames start.
          socket.destroy();
          return;
        }
        const total = 6 + length;
        if (buffer.length < total) break;
        const frame = buffer.subarray(0, total);
        buffer = buffer.subarray(total);
        void this.handle(socket, Buffer.from(frame));
      }
    });
    socket.on('error', () => socket.destroy());
    socket.on('close', () => this.sockets.delete(socket));
  }

  private async handle(socket: net.Socket, frame: Buffer): Promise<void> {
    this.requests++;
    const transactionId = frame.readUInt16BE(0);
    const unitId = frame.readUInt8(6);
    const pdu = frame.subarray(7);
    const functionCode = pdu.readUInt8(0);
    const reply = () => frameOf(transactionId, unitId, this.answer(unitId, pdu));
    const verdict = this.hook
      ? await this.hook({ unitId, functionCode, transactionId, pdu, socket, reply })
      : undefined;
    if (verdict === 'drop' || socket.destroyed) return;
    if (verdict === 'reset') {
      socket.resetAndDestroy();
      return;
    }
    if (verdict === 'reset-mid-frame') {
      const whole = reply();
      socket.write(whole.subarray(0, Math.max(1, whole.length >> 1)), () => socket.resetAndDestroy());
      return;
    }
    let out: Buffer;
    if (Buffer.isBuffer(verdict)) out = verdict;
    else if (typeof verdict === 'number')
      out = frameOf(transactionId, unitId, exceptionPdu(functionCode, verdict));
    else out = reply();
    socket.write(out);
  }

  private answer(unitId: number, pdu: Buffer): Buffer {
    const functionCode = pdu.readUInt8(0);
    const bank = this.options.units.get(unitId);
    if (!bank) return exceptionPdu(functionCode, ModbusException.GatewayTargetFailedToRespond);
    try {
      switch (functionCode) {
        case 3:
        case 4: {
          if (pdu.length < 5) return exceptionPdu(functionCode, ModbusException.IllegalDataValue);
          const address = pdu.readUInt16BE(1);
          const count = pdu.readUInt16BE(3);
          if (count < 1 || count > 125) return exceptionPdu(functionCode, ModbusException.IllegalDataValue);
          const values = bank.read(address, count);
          const out = Buffer.alloc(2 + count * 2);
          out.writeUInt8(functionCode, 0);
          out.writeUInt8(count * 2, 1);
          for (let i = 0; i < count; i++) out.writeUInt16BE((values[i] ?? 0) & 0xffff, 2 + i * 2);
          return out;
        }
        case 6: {
          if (pdu.length < 5) return exceptionPdu(functionCode, ModbusException.IllegalDataValue);
          bank.write(pdu.readUInt16BE(1), [pdu.readUInt16BE(3)]);
          return Buffer.from(pdu.subarray(0, 5));
        }
        case 16: {
          if (pdu.length < 6) return exceptionPdu(functionCode, ModbusException.IllegalDataValue);
          const address = pdu.readUInt16BE(1);
          const count = pdu.readUInt16BE(3);
          const bytes = pdu.readUInt8(5);
          if (count < 1 || count > 123 || bytes !== count * 2 || pdu.length < 6 + bytes)
            return exceptionPdu(functionCode, ModbusException.IllegalDataValue);
          const values: number[] = [];
          for (let i = 0; i < count; i++) values.push(pdu.readUInt16BE(6 + i * 2));
          bank.write(address, values);
          return Buffer.from(pdu.subarray(0, 5));
        }
        default:
          return exceptionPdu(functionCode, ModbusException.IllegalFunction);
      }
    } catch (error) {
      const code = error instanceof ModbusError ? error.code : ModbusException.ServerDeviceFailure;
      return exceptionPdu(functionCode, code);
    }
  }
}

function exceptionPdu(functionCode: number, code: number): Buffer {
  return Buffer.from([(functionCode | 0x80) & 0xff, code]);
}

export function frameOf(transactionId: number, unitId: number, pdu: Buffer): Buffer {
  const header = Buffer.alloc(7);
  header.writeUInt16BE(transactionId, 0);
  header.writeUInt16BE(0, 2);
  header.writeUInt16BE(pdu.length + 1, 4);
  header.writeUInt8(unitId, 6);
  return Buffer.concat([header, pdu]);
}

/** A plain register array: the usual bank for a simulated device. */
export class ArrayBank implements RegisterBank {
  constructor(
    readonly base: number,
    public registers: Uint16Array,
    private readonly onWrite?: (address: number, values: readonly number[]) => void,
  ) {}

  read(address: number, count: number): Uint16Array {
    const start = address - this.base;
    if (start < 0 || start + count > this.registers.length)
      throw new ModbusError(ModbusException.IllegalDataAddress);
    return this.registers.subarray(start, start + count);
  }

  write(address: number, values: readonly number[]): void {
    const start = address - this.base;
    if (start < 0 || start + values.length > this.registers.length)
      throw new ModbusError(ModbusException.IllegalDataAddress);
    if (this.onWrite) this.onWrite(address, values);
    else this.registers.set(values, start);
  }
}
