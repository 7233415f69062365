// Device drivers: a small contract — read the device's canonical quantities, write one control
// quantity and read it back — with one implementation per register-map kind, as FUXA's drivers
// have polling, setValue and getValue. SunSpec devices are discovered on first contact
// (sunspec/discovery.ts) and re-discovered when their map stops making sense; custom maps are
// read as planned blocks, and a block the device refuses marks only its own points bad. No code
// above the drivers knows a register map.
import type { Quantity } from '../../shared/api/live.ts';
import { quantityUnits } from '../../shared/api/live.ts';
import type { CustomPoint, Device } from '../../shared/site/schema.ts';
import {
  decodeCustomPoint,
  encodeCustomPoint,
  planReads,
  registerCount,
  type ReadBlock,
} from './custom-map.ts';
import {
  ReadBackError,
  settle,
  WriteRefusedError,
  type ReadBack,
  type WriteRequest,
} from './device-writes.ts';
import { KNOWN_MODELS } from './known-models.ts';
import { ModbusExceptionError } from './modbus-connection.ts';
import { quantitiesFromModel, type QuantityValue } from './quantities.ts';
import { writeSunSpecQuantity } from './sunspec-writes.ts';
import { discoverSunSpec, readModel, type ModelLocation, type SunSpecMap } from './sunspec/discovery.ts';
import type { UnitIo } from './unit-io.ts';
import { STORAGE_MODE_MODEL_ID } from './vendor-models.ts';

export { KNOWN_MODELS } from './known-models.ts';
export { unitIo, type UnitIo } from './unit-io.ts';

export interface DriverReading {
  values: QuantityValue[];
  /** Raw engineering values of custom-map points by point name (for read-back and commissioning). */
  readonly points: Record<string, number>;
  /** Parts of the device that failed while the rest answered. */
  problems: string[];
}

export interface DeviceDriver {
  read(io: UnitIo): Promise<DriverReading>;
  /**
   * Writes one control quantity and returns what the device holds afterwards, read back from it.
   * Throws WriteRefusedError when the device cannot take it (nothing was written) and
   * ReadBackError when it took the write but does not hold or do what was written.
   */
  write(io: UnitIo, request: WriteRequest): Promise<ReadBack>;
  /** Forget what was learnt about the device (after it was replaced or reconfigured). */
  reset(): void;
}

export function driverFor(device: Device): DeviceDriver {
  return device.registerMap.type === 'sunspec' ? new SunSpecDriver(device) : new CustomMapDriver(device);
}

const quantityModels = new Set([
  101,
  102,
  103,
  111,
  112,
  113,
  124,
  201,
  202,
  203,
  204,
  211,
  212,
  213,
  214,
  802,
  STORAGE_MODE_MODEL_ID,
]);

export class SunSpecDriver implements DeviceDriver {
  private map: SunSpecMap | null = null;

  constructor(private readonly device: Device) {}

  reset(): void {
    this.map = null;
  }

  /** The device's model chain, discovered now if it is not known yet. */
  async models(io: UnitIo): Promise<ModelLocation[]> {
    if (this.map) return this.map.models;
    const base = this.device.registerMap.type === 'sunspec' ? this.device.registerMap.base : undefined;
    const read = (address: number, count: number) => io.read('holding', address, count);
    const found = await discoverSunSpec(read, base === undefined ? {} : { bases: [base] });
    if (!found)
      throw new Error(
        `unit ${io.unitId}: no SunSpec map ('SunS') at register ${base ?? '40000, 0 or 50000'}; check the unit id and register map`,
      );
    if (found.models.length === 0)
      throw new Error(`unit ${io.unitId}: SunSpec marker at ${found.base} but no models could be read`);
    this.map = found;
    return found.models;
  }

  async write(io: UnitIo, request: WriteRequest): Promise<ReadBack> {
    return writeSunSpecQuantity(io, this.device, await this.models(io), request);
  }

  async read(io: UnitIo): Promise<DriverReading> {
    const models = await this.models(io);
    const read = (address: number, count: number) => io.read('holding', address, count);
    const out: QuantityValue[] = [];
    for (const model of models) {
      if (!quantityModels.has(model.id)) continue;
      let decoded;
      try {
        // The header is read with the body so a changed map (firmware update) is noticed at once.
        decoded = (await readModel(read, model, KNOWN_MODELS)).decoded;
      } catch (error) {
        if (
          (error instanceof ModbusExceptionError && error.code === 2) ||
          (error instanceof Error && /header now reads/.test(error.message))
        )
          this.map = null;
        throw error;
      }
      if (!decoded) continue;
      const points = decoded.points;
      if (model.id === STORAGE_MODE_MODEL_ID) {
        const st = points.ModSt;
        out.push({
          quantity: 'batteryMode',
          value: st?.implemented ? Number(st.raw) : null,
          implemented: st?.implemented ?? false,
        });
        continue;
      }
      out.push(...quantitiesFromModel(model.id, (name) => points[name]));
    }
    return { values: out, points: {}, problems: [] };
  }
}

export class CustomMapDriver implements DeviceDriver {
  /** The read plan, made once: each block with the points it carries and their slots in a reading. */
  private readonly plan: Array<{
    block: ReadBlock;
    inBlock: Array<{ point: CustomPoint; quantity: Quantity | null; slot: number }>;
  }>;
  /** Point names by slot, in the order the plan decodes them. */
  private readonly names: string[] = [];
  private readonly points: CustomPoint[];

  constructor(private readonly device: Device) {
    const points = device.registerMap.type === 'custom' ? device.registerMap.points : [];
    this.points = points;
    this.plan = planReads(points).map((block) => ({
      block,
      inBlock: points
        .filter(
          (p) =>
            p.function === block.function &&
            p.address >= block.address &&
            p.address < block.address + block.count,
        )
        .map((point) => ({
          point,
          quantity: isQuantity(point.quantity) ? point.quantity : null,
          slot: this.names.push(point.name) - 1,
        })),
    }));
  }

  reset(): void {}

  async write(io: UnitIo, request: WriteRequest): Promise<ReadBack> {
    const id = this.device.id;
    switch (request.quantity) {
      case 'breakerClosed': {
        // A breaker controller takes a command register and reports its position separately.
        const command = this.points.find((p) => p.quantity === 'breakerCommand');
        const position = this.points.find((p) => p.quantity === 'breakerClosed');
        if (!command || !position)
          throw new WriteRefusedError(
            `device '${id}': its register map needs a breakerCommand point and a breakerClosed point`,
          );
        const close = request.closed;
        await io.write(command.address, encodeCustomPoint(command, close ? 1 : 0));
        const closed = await settle(
          () => readPoint(io, position),
          (v) => (v !== 0) === close,
        );
        if ((closed !== 0) !== close)
          throw new ReadBackError(
            `breaker '${id}' was told to ${close ? 'close' : 'open'} but still reads ${closed !== 0 ? 'closed' : 'open'} after the settle time`,
          );
        return { breakerClosed: closed };
      }
      case 'shedRelay': {
        const point = this.points.find((p) => p.name === request.channel);
        if (!point)
          throw new WriteRefusedError(
            `shed relay '${id}' has no point named '${request.channel}' in its register map`,
          );
        await io.write(point.address, encodeCustomPoint(point, request.shed ? 1 : 0));
        const value = await readPoint(io, point);
        if ((value !== 0) !== request.shed)
          throw new ReadBackError(
            `relay for '${request.channel}' on '${id}' reads ${value} after being told to ${request.shed ? 'shed (1)' : 'reconnect (0)'}`,
          );
        return { [request.channel]: value };
      }
      case 'batteryMode':
      case 'batterySetpointKW':
      case 'pvLimitFraction':
        throw new WriteRefusedError(
          `device '${id}' has a custom register map, which has no ${request.quantity} control this console writes; it needs its SunSpec models`,
        );
    }
  }

  async read(io: UnitIo): Promise<DriverReading> {
    const values: QuantityValue[] = [];
    // Decoded by slot; a refused block's slots stay empty. Named only if someone asks (see CustomReading).
    const raw = new Array<number | undefined>(this.names.length);
    let problems: string[] | null = null;
    let firstError: Error | null = null;
    let answered = 0;
    for (const { block, inBlock } of this.plan) {
      let regs: Uint16Array;
      try {
        regs = await io.read(block.function, block.address, block.count);
        answered++;
      } catch (error) {
        // An exception reply fails this block only; a timeout or a lost link fails the device.
        if (!(error instanceof ModbusExceptionError)) throw error;
        firstError ??= error;
        (problems ??= []).push(
          `${block.function} registers ${block.address}–${block.address + block.count - 1}: ${error.message}`,
        );
        for (const { quantity } of inBlock)
          if (quantity) values.push({ quantity, value: null, implemented: true, bad: true });
        continue;
      }
      for (const { point, quantity, slot } of inBlock) {
        const value = decodeCustomPoint(point, regs, point.address - block.address);
        raw[slot] = value;
        if (quantity) values.push({ quantity, value, implemented: true });
      }
    }
    if (answered === 0 && firstError) throw firstError;
    return new CustomReading(values, problems ?? [], this.names, raw);
  }
}

/**
 * A custom-map reading whose points are named on first use: a poll decodes every point, but the
 * by-name record is wanted only for read-back and commissioning, and building a 50-key object per
 * poll cost more than the decoding itself.
 */
class CustomReading implements DriverReading {
  private named: Record<string, number> | null = null;

  constructor(
    readonly values: QuantityValue[],
    public problems: string[],
    private readonly names: readonly string[],
    private readonly raw: ReadonlyArray<number | undefined>,
  ) {}

  get points(): Record<string, number> {
    if (this.named) return this.named;
    const named: Record<string, number> = {};
    for (let slot = 0; slot < this.names.length; slot++) {
      const value = this.raw[slot];
      if (value !== undefined) named[this.names[slot] as string] = value;
    }
    return (this.named = named);
  }
}

function isQuantity(name: string | undefined): name is Quantity {
  return name !== undefined && Object.hasOwn(quantityUnits, name);
}

async function readPoint(io: UnitIo, point: CustomPoint): Promise<number> {
  const regs = await io.read(point.function, point.address, registerCount(point.type));
  return decodeCustomPoint(point, regs, 0);
}
