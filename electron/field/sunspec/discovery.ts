// Finds a device's SunSpec map (the 'SunS' marker, then the chain of model headers) and reads
// whole models, over any register-reading function, so it runs against real or fake devices.
import { decodeModel, END_MARKER, SUNS_MARKER, type DecodedModel } from './codec.ts';
import { SUNSPEC_MODELS } from './models/index.ts';
import type { ModelDef } from './types.ts';

/** Reads `count` holding registers from `address`; rejects when the device refuses (e.g. exception 2). */
export type ReadRegisters = (address: number, count: number) => Promise<Uint16Array>;

export interface ModelLocation {
  id: number;
  /** Register address of the model's ID register. */
  offset: number;
  /** The model length L: registers after ID and L. */
  length: number;
}

export interface SunSpecMap {
  base: number;
  models: ModelLocation[];
  /** False when the walk stopped before the end model: a failed read, a bound, or garbage. */
  complete: boolean;
}

export interface DiscoveryOptions {
  /** Addresses to probe for 'SunS', in order. */
  bases?: number[];
  /** Stop after this many models: a chain of garbage must not walk forever. */
  maxModels?: number;
}

/** The SunSpec specification's well-known bases, in the order devices most often use them. */
export const DEFAULT_BASES: readonly number[] = [40000, 0, 50000];
export const DEFAULT_MAX_MODELS = 64;
/** Modbus function 3 returns at most 125 registers. */
export const MAX_READ_REGISTERS = 125;

const LAST_ADDRESS = 0xffff;

export async function discoverSunSpec(
  read: ReadRegisters,
  opts: DiscoveryOptions = {},
): Promise<SunSpecMap | null> {
  for (const base of opts.bases ?? DEFAULT_BASES) {
    let marker: Uint16Array;
    try {
      marker = await read(base, SUNS_MARKER.length);
    } catch {
      // An exception reply (illegal address) just means the map is not at this base.
      continue;
    }
    if (marker.length < 2 || marker[0] !== SUNS_MARKER[0] || marker[1] !== SUNS_MARKER[1]) continue;
    return walkModels(read, base, opts.maxModels ?? DEFAULT_MAX_MODELS);
  }
  return null;
}

async function walkModels(read: ReadRegisters, base: number, maxModels: number): Promise<SunSpecMap> {
  const models: ModelLocation[] = [];
  let address = base + SUNS_MARKER.length;
  while (models.length < maxModels && address + 1 <= LAST_ADDRESS) {
    let header: Uint16Array;
    try {
      header = await read(address, 2);
    } catch {
      // Some devices omit the end model and refuse reads past their last model instead.
      return { base, models, complete: false };
    }
    if (header.length < 2) return { base, models, complete: false };
    const id = header[0]!;
    const length = header[1]!;
    if (id === END_MARKER[0]) return { base, models, complete: true };
    // Id 0 is not a model (ids start at 1): zero-filled memory after the last model.
    if (id === 0) return { base, models, complete: false };
    models.push({ id, offset: address, length });
    address += 2 + length;
  }
  return { base, models, complete: false };
}

/** Reads `count` registers from `address` in requests of at most 125 registers. */
export async function readChunked(read: ReadRegisters, address: number, count: number): Promise<Uint16Array> {
  const regs = new Uint16Array(count);
  for (let done = 0; done < count; done += MAX_READ_REGISTERS) {
    const want = Math.min(MAX_READ_REGISTERS, count - done);
    const got = await read(address + done, want);
    if (got.length < want) {
      throw new Error(
        `SunSpec read at register ${address + done}: asked for ${want} registers, got ${got.length}`,
      );
    }
    regs.set(got.subarray(0, want), done);
  }
  return regs;
}

export interface ReadModelResult extends ModelLocation {
  /** The model's registers from its ID register, header included. */
  regs: Uint16Array;
  /** Null for a model id this project does not define: the caller still has `regs`. */
  decoded: DecodedModel | null;
}

/**
 * Reads one model found by discovery and decodes it with the known definition. Throws if the
 * header no longer matches (the device's map changed, e.g. after a firmware update).
 */
export async function readModel(
  read: ReadRegisters,
  model: ModelLocation,
  defs: ReadonlyMap<number, ModelDef> = SUNSPEC_MODELS,
): Promise<ReadModelResult> {
  const regs = await readChunked(read, model.offset, model.length + 2);
  if (regs[0] !== model.id || regs[1] !== model.length) {
    throw new Error(
      `SunSpec model ${model.id} at register ${model.offset}: header now reads id ${regs[0]}, L ${regs[1]}; discover the map again`,
    );
  }
  const def = defs.get(model.id);
  return { ...model, regs, decoded: def ? decodeModel(def, regs) : null };
}
