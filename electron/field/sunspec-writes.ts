// Writes to SunSpec control points with read-back: the model is read first (for its scale
// factors and to prove the map is where discovery left it), each point is encoded with its own
// scale factor and written, and the model is read again to confirm what the device now holds.
import type { UnitIo } from './device-drivers.ts';
import { KNOWN_MODELS } from './device-drivers.ts';
import { encodePointValue, pointAt, type DecodedModel, type PointInput } from './sunspec/codec.ts';
import { readModel, type ModelLocation } from './sunspec/discovery.ts';
import type { PointDef } from './sunspec/types.ts';

export class WriteRefusedError extends Error {
  override name = 'WriteRefusedError';
}
export class ReadBackError extends Error {
  override name = 'ReadBackError';
}

function exponentOf(point: PointDef, decoded: DecodedModel, modelId: number): number | null {
  if (point.sf === undefined) return null;
  if (typeof point.sf === 'number') return point.sf;
  const holder = decoded.points[point.sf];
  if (!holder?.implemented || typeof holder.value !== 'number')
    throw new WriteRefusedError(
      `model ${modelId} point ${point.name}: its scale factor ${point.sf} is not implemented, so it cannot be written`,
    );
  return holder.value;
}

export async function readSunSpecModel(io: UnitIo, location: ModelLocation): Promise<DecodedModel> {
  const read = (address: number, count: number) => io.read('holding', address, count);
  const result = await readModel(read, location, KNOWN_MODELS);
  if (!result.decoded) throw new Error(`model ${location.id} is not defined in this console`);
  return result.decoded;
}

/**
 * Writes `values` (engineering units, enum symbols, bit-field flag lists) in the order given —
 * order matters to a device (rates before the mode that uses them) — and returns the model as
 * read back after the writes. Throws WriteRefusedError before writing anything when a point is
 * not writable, and ReadBackError when the device does not hold what was written.
 */
export async function writeSunSpecPoints(
  io: UnitIo,
  location: ModelLocation,
  values: ReadonlyArray<[name: string, value: PointInput]>,
): Promise<DecodedModel> {
  const def = KNOWN_MODELS.get(location.id);
  if (!def) throw new WriteRefusedError(`model ${location.id} is not defined in this console`);
  const before = await readSunSpecModel(io, location);
  const writes: Array<{ address: number; words: number[]; point: PointDef; sf: number | null }> = [];
  for (const [name, value] of values) {
    const { offset, point } = pointAt(def, name);
    if (point.access !== 'RW') throw new WriteRefusedError(`model ${location.id} point ${name} is read-only`);
    const sf = exponentOf(point, before, location.id);
    let words: number[];
    try {
      words = encodePointValue(point, value, sf);
    } catch (error) {
      throw new WriteRefusedError(`model ${location.id} point ${name}: ${(error as Error).message}`);
    }
    writes.push({ address: location.offset + offset, words, point, sf });
  }
  for (const write of writes) await io.write(write.address, write.words);
  const after = await readSunSpecModel(io, location);
  for (const [name, value] of values) {
    const { point } = pointAt(def, name);
    const got = after.points[name];
    const sf = writes.find((w) => w.point.name === name)?.sf ?? 0;
    if (!matches(got?.value ?? null, got?.raw, value, sf ?? 0))
      throw new ReadBackError(
        `model ${location.id} point ${name}: wrote ${JSON.stringify(value)}, the device reads back ${JSON.stringify(got?.value ?? null)}${point.units ? ` ${point.units}` : ''}`,
      );
  }
  return after;
}

function matches(
  got: number | string | string[] | null,
  raw: number | bigint | string | undefined,
  wanted: PointInput,
  sf: number,
): boolean {
  if (typeof wanted === 'number' && typeof got === 'number')
    return Math.abs(got - wanted) <= 10 ** sf / 2 + 1e-9;
  if (typeof wanted === 'number') return Number(raw) === wanted;
  if (Array.isArray(wanted))
    return Array.isArray(got) && [...got].sort().join() === [...wanted].sort().join();
  return got === wanted;
}
