// Commissioning scan: which unit ids answer behind one endpoint, and where each one's SunSpec
// map is. Units are tried one at a time (the endpoint may be an RS-485 gateway), each within a
// bounded time, so a scan of 247 ids ends even when most are silent.
import type { ScannedUnit, ScanProgress, ScanResult } from '../../shared/api/field-api.ts';
import { KNOWN_MODELS } from './device-drivers.ts';
import {
  ModbusConnection,
  ModbusExceptionError,
  ModbusOfflineError,
  ModbusTimeoutError,
} from './modbus-connection.ts';
import { discoverSunSpec, readModel } from './sunspec/discovery.ts';

export interface ScanOptions {
  scanId?: string;
  host: string;
  port: number;
  fromUnit?: number;
  toUnit?: number;
  /** Per request. */
  timeoutMs?: number;
  /** Per unit, whatever it does (a garbage chain, a slow device). */
  unitBudgetMs?: number;
  onProgress?: (progress: ScanProgress) => void;
  signal?: AbortSignal;
  now?: () => number;
}

/** Gateway exceptions that mean "no such unit on the wire", not "a unit that said no". */
const NO_UNIT_CODES = new Set([10, 11]);

class BudgetSpent extends Error {}

export async function scanEndpoint(options: ScanOptions): Promise<ScanResult> {
  const now = options.now ?? Date.now;
  const started = now();
  const from = options.fromUnit ?? 1;
  const to = options.toUnit ?? 247;
  if (from > to) throw new RangeError(`unit range ${from}-${to} is empty`);
  const timeoutMs = options.timeoutMs ?? 1000;
  const budgetMs = options.unitBudgetMs ?? Math.max(3000, timeoutMs * 4);
  const connection = new ModbusConnection(options.host, options.port, {
    maxInFlight: 1,
    connectTimeoutMs: Math.max(timeoutMs, 1000),
    retries: 1,
    // Silent ids are the rule during a scan, not a sign of a dead socket.
    dropAfterTimeouts: Number.MAX_SAFE_INTEGER,
    backoffInitialMs: 0,
  });
  const units: ScannedUnit[] = [];
  const total = to - from + 1;
  let error: string | null = null;
  let cancelled = false;
  try {
    for (let unit = from; unit <= to; unit++) {
      if (options.signal?.aborted) {
        cancelled = true;
        break;
      }
      let found: ScannedUnit | null;
      try {
        found = await scanUnit(connection, unit, timeoutMs, now() + budgetMs, now);
      } catch (e) {
        if (e instanceof ModbusOfflineError) {
          error = e.message;
          break;
        }
        found = null;
      }
      if (found) units.push(found);
      options.onProgress?.({ scanId: options.scanId ?? '', unit, done: unit - from + 1, total, found });
    }
  } finally {
    await connection.close();
  }
  return {
    scanId: options.scanId ?? '',
    host: options.host,
    port: options.port,
    units,
    durationMs: now() - started,
    cancelled,
    error,
  };
}

async function scanUnit(
  connection: ModbusConnection,
  unit: number,
  timeoutMs: number,
  deadline: number,
  now: () => number,
): Promise<ScannedUnit | null> {
  let answered = false;
  // Discovery takes a failed read to mean "not at this base": remember one that meant "no endpoint".
  let offline: ModbusOfflineError | null = null;
  let silent = false;
  const read = async (address: number, count: number): Promise<Uint16Array> => {
    if (now() > deadline) throw new BudgetSpent(`unit ${unit}: scan time spent`);
    // A unit that let its first request time out is absent: no need to wait at every base.
    if (silent) throw new BudgetSpent(`unit ${unit}: does not answer`);
    try {
      const regs = await connection.readRegisters(unit, 'holding', address, count, timeoutMs);
      answered = true;
      return regs;
    } catch (e) {
      if (e instanceof ModbusExceptionError && !NO_UNIT_CODES.has(e.code)) answered = true;
      if (e instanceof ModbusOfflineError) offline = e;
      if (e instanceof ModbusTimeoutError && !answered) silent = true;
      throw e;
    }
  };
  let map;
  try {
    map = await discoverSunSpec(read);
  } catch (e) {
    if (e instanceof ModbusOfflineError) throw e;
    map = null;
  }
  // Set inside `read`, which TypeScript cannot see run: widen it back.
  const unreachable = offline as ModbusOfflineError | null;
  if (unreachable) throw unreachable;
  if (!map) {
    // The marker probe of each base either timed out, or got an answer without 'SunS'.
    return answered ? { unit, base: null, models: [] } : null;
  }
  const result: ScannedUnit = {
    unit,
    base: map.base,
    models: map.models.map((m) => ({ id: m.id, offset: m.offset, length: m.length })),
  };
  const common = map.models.find((m) => m.id === 1);
  if (common && now() < deadline) {
    try {
      const decoded = (await readModel(read, common, KNOWN_MODELS)).decoded;
      const text = (name: string) => {
        const v = decoded?.points[name]?.value;
        return typeof v === 'string' ? v : undefined;
      };
      const manufacturer = text('Mn');
      const model = text('Md');
      const serial = text('SN');
      if (manufacturer) result.manufacturer = manufacturer;
      if (model) result.model = model;
      if (serial) result.serial = serial;
    } catch (e) {
      if (!(e instanceof ModbusTimeoutError || e instanceof ModbusExceptionError || e instanceof BudgetSpent))
        throw e;
    }
  }
  return result;
}
