// One unit behind one connection, with the device's timeout applied to every request: what a
// driver reads and writes through, so drivers never see sockets or the scheduling of a gateway.
import type { ModbusConnection } from './modbus-connection.ts';

export interface UnitIo {
  readonly unitId: number;
  read(fn: 'holding' | 'input', address: number, count: number): Promise<Uint16Array>;
  write(address: number, values: readonly number[]): Promise<void>;
}

export function unitIo(connection: ModbusConnection, unitId: number, timeoutMs: number): UnitIo {
  return {
    unitId,
    read: (fn, address, count) => connection.readRegisters(unitId, fn, address, count, timeoutMs),
    write: (address, values) => connection.writeRegisters(unitId, address, values, timeoutMs),
  };
}
