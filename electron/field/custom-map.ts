// Register maps for devices that do not speak SunSpec (cheap DIN-rail meters, breaker
// controllers): each point described in the site file, read in as few requests as possible.
import type { CustomPoint } from '../../shared/site/schema.ts';

export const MAX_READ_REGISTERS = 125;

export function registerCount(type: CustomPoint['type']): number {
  return type === 'int16' || type === 'uint16' ? 1 : 2;
}

export interface ReadBlock {
  function: 'holding' | 'input';
  address: number;
  count: number;
}

/** Merges points into contiguous blocks of at most 125 registers (gaps of up to 8 registers are read through). */
export function planReads(points: readonly CustomPoint[], maxGap = 8): ReadBlock[] {
  const blocks: ReadBlock[] = [];
  for (const fn of ['holding', 'input'] as const) {
    const spans = points
      .filter((p) => p.function === fn)
      .map((p) => [p.address, p.address + registerCount(p.type)] as const)
      .sort((a, b) => a[0] - b[0]);
    let current: ReadBlock | null = null;
    for (const [start, end] of spans) {
      if (
        current &&
        start <= current.address + current.count + maxGap &&
        end - current.address <= MAX_READ_REGISTERS
      ) {
        current.count = Math.max(current.count, end - current.address);
      } else {
        current = { function: fn, address: start, count: end - start };
        blocks.push(current);
      }
    }
  }
  return blocks;
}

// Decoding is synchronous, so one scratch view serves every call (the poller decodes thousands a second).
const scratch = new DataView(new ArrayBuffer(4));

/** Decodes one point from the registers of its block; `offset` is the point's index in `regs`. */
export function decodeCustomPoint(point: CustomPoint, regs: ArrayLike<number>, offset: number): number {
  const a = regs[offset] ?? 0;
  const b = regs[offset + 1] ?? 0;
  const little = point.wordOrder === 'little';
  const hi = little ? b : a;
  const lo = little ? a : b;
  const buf = scratch;
  let raw: number;
  switch (point.type) {
    case 'uint16':
      raw = a;
      break;
    case 'int16':
      raw = a >= 0x8000 ? a - 0x10000 : a;
      break;
    case 'uint32':
      raw = hi * 0x10000 + lo;
      break;
    case 'int32':
      buf.setUint16(0, hi);
      buf.setUint16(2, lo);
      raw = buf.getInt32(0);
      break;
    case 'float32':
      buf.setUint16(0, hi);
      buf.setUint16(2, lo);
      raw = buf.getFloat32(0);
      break;
  }
  return raw * point.scale;
}

/** Encodes an engineering value into the point's registers (for writes and for simulators). */
export function encodeCustomPoint(point: CustomPoint, value: number): number[] {
  const raw = value / point.scale;
  const buf = new DataView(new ArrayBuffer(4));
  switch (point.type) {
    case 'uint16':
    case 'int16':
      return [Math.round(raw) & 0xffff];
    case 'uint32':
      buf.setUint32(0, Math.round(raw) >>> 0);
      break;
    case 'int32':
      buf.setInt32(0, Math.round(raw));
      break;
    case 'float32':
      buf.setFloat32(0, raw);
      break;
  }
  const words = [buf.getUint16(0), buf.getUint16(2)];
  return point.wordOrder === 'little' ? words.reverse() : words;
}
