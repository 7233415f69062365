// Writes to SunSpec control points with read-back: the model is read first (for its scale
// factors and to prove the map is where discovery left it), each point is encoded with its own
// scale factor and written, and the model is read again to confirm what the device now holds.
// `writeSunSpecQuantity` is where the console's control quantities meet SunSpec models: battery
// mode (vendor model 64901), battery setpoint (model 124), PV limit (model 123 or 704).
import { storageModeSymbol } from '../../shared/api/battery-modes.ts';
import type { Device } from '../../shared/site/schema.ts';
import {
  ReadBackError,
  settle,
  WriteRefusedError,
  type ReadBack,
  type WriteRequest,
} from './device-writes.ts';
import { KNOWN_MODELS } from './known-models.ts';
import { encodePointValue, pointAt, type DecodedModel, type PointInput } from './sunspec/codec.ts';
import { readModel, type ModelLocation } from './sunspec/discovery.ts';
import type { PointDef } from './sunspec/types.ts';
import type { UnitIo } from './unit-io.ts';
import { STORAGE_MODE_MODEL_ID } from './vendor-models.ts';

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

/** Writes one control quantity to a SunSpec device whose model chain is `models`, and reads it back. */
export async function writeSunSpecQuantity(
  io: UnitIo,
  device: Device,
  models: readonly ModelLocation[],
  request: WriteRequest,
): Promise<ReadBack> {
  const id = device.id;
  switch (request.quantity) {
    case 'batteryMode': {
      const vendor = models.find((m) => m.id === STORAGE_MODE_MODEL_ID);
      if (!vendor)
        throw new WriteRefusedError(
          `device '${id}' has no storage mode model ${STORAGE_MODE_MODEL_ID} in its SunSpec map: its operating mode cannot be set from here`,
        );
      const symbol = storageModeSymbol(request.mode);
      await writeSunSpecPoints(io, vendor, [['Mod', symbol]]);
      // Mod is what was asked, ModSt what the inverter runs: a change of mode takes a moment.
      const state = await settle(
        () => readSunSpecModel(io, vendor),
        (m) => m.points.ModSt?.symbol === symbol,
      );
      if (state.points.ModSt?.symbol !== symbol)
        throw new ReadBackError(
          `device '${id}' accepted mode ${symbol} but still runs ${String(state.points.ModSt?.value ?? 'unknown')}`,
        );
      return { Mod: symbol, ModSt: symbol };
    }
    case 'batterySetpointKW': {
      const powerKW = request.valueKW;
      const storage = models.find((m) => m.id === 124);
      if (!storage) throw new WriteRefusedError(`device '${id}' has no SunSpec storage model 124`);
      const current = await readSunSpecModel(io, storage);
      const wChaMax = current.points.WChaMax;
      const ratedKW =
        wChaMax?.implemented && typeof wChaMax.value === 'number' && wChaMax.value > 0
          ? wChaMax.value / 1000
          : device.ratedKW;
      if (!ratedKW)
        throw new WriteRefusedError(`device '${id}' reports no WChaMax and the site file gives no ratedKW`);
      if (Math.abs(powerKW) > ratedKW + 1e-9)
        throw new WriteRefusedError(
          `setpoint ${powerKW} kW is outside '${id}''s range of -${ratedKW} to ${ratedKW} kW (positive discharges)`,
        );
      // Model 124 takes the setpoint as a percentage of WChaMax in the direction StorCtl_Mod sets.
      const pct = (Math.abs(powerKW) / ratedKW) * 100;
      const flags = powerKW > 0 ? ['DiSCHARGE'] : powerKW < 0 ? ['CHARGE'] : [];
      const after = await writeSunSpecPoints(io, storage, [
        ['OutWRte', powerKW > 0 ? pct : 0],
        ['InWRte', powerKW < 0 ? pct : 0],
        ['StorCtl_Mod', flags],
      ]);
      const readBack: ReadBack = {
        OutWRte: Number(after.points.OutWRte?.value ?? NaN),
        InWRte: Number(after.points.InWRte?.value ?? NaN),
        StorCtl_Mod: (after.points.StorCtl_Mod?.value as string[] | null)?.join('|') ?? '',
      };
      const vendor = models.find((m) => m.id === STORAGE_MODE_MODEL_ID);
      if (vendor) {
        // A setpoint means nothing until the inverter follows setpoints.
        const mode = await writeSunSpecPoints(io, vendor, [['Mod', 'SETPOINT']]);
        readBack.Mod = String(mode.points.Mod?.value ?? '');
      }
      return readBack;
    }
    case 'pvLimitFraction': {
      const pct = Math.round(request.fraction * 1000) / 10;
      const lift = request.fraction >= 1;
      const controls = models.find((m) => m.id === 123);
      const der = models.find((m) => m.id === 704);
      let after: DecodedModel;
      if (controls)
        after = await writeSunSpecPoints(io, controls, [
          ['WMaxLimPct', pct],
          ['WMaxLim_Ena', lift ? 'DISABLED' : 'ENABLED'],
        ]);
      else if (der)
        after = await writeSunSpecPoints(io, der, [
          ['WMaxLimPct', pct],
          ['WMaxLimPctEna', lift ? 'DISABLED' : 'ENABLED'],
        ]);
      else
        throw new WriteRefusedError(
          `device '${id}' has neither SunSpec model 123 nor 704: it cannot be curtailed`,
        );
      return {
        WMaxLimPct: Number(after.points.WMaxLimPct?.value ?? NaN),
        enabled: String(after.points.WMaxLim_Ena?.value ?? after.points.WMaxLimPctEna?.value ?? ''),
      };
    }
    case 'breakerClosed':
    case 'shedRelay':
      throw new WriteRefusedError(
        `device '${id}' is read through SunSpec, which has no ${request.quantity === 'breakerClosed' ? 'breaker command' : 'shed relay'} point this console writes: map it with a custom register map`,
      );
  }
}
