// Device drivers: a small contract (read the device's canonical quantities over a connection)
// with one implementation per register-map kind. SunSpec devices are discovered on first
// contact and re-discovered when they stop making sense; custom maps are read as planned blocks.
import type { Device } from '../../shared/site/schema.ts';
import type { ModbusConnection } from './modbus-connection.ts';
import { decodeCustomPoint, planReads } from './custom-map.ts';
import { quantitiesFromModel, type QuantityValue } from './quantities.ts';
import { decodeModel } from './sunspec/codec.ts';
import { discoverSunSpec } from './sunspec/discovery.ts';
import { SUNSPEC_MODELS } from './sunspec/models/index.ts';

export interface DeviceDriver {
  read(connection: ModbusConnection): Promise<QuantityValue[]>;
  /** Forget what was learnt about the device (after it was replaced or reconfigured). */
  reset(): void;
}

const MAX_READ = 125;

export function driverFor(device: Device): DeviceDriver {
  return device.registerMap.type === 'sunspec' ? new SunSpecDriver(device) : new CustomMapDriver(device);
}

interface ModelLocation {
  id: number;
  offset: number;
  length: number;
}

class SunSpecDriver implements DeviceDriver {
  private models: ModelLocation[] | null = null;

  constructor(private readonly device: Device) {}

  reset(): void {
    this.models = null;
  }

  async read(connection: ModbusConnection): Promise<QuantityValue[]> {
    const { unitId } = this.device.endpoint;
    const timeout = this.device.timeoutMs;
    const read = (address: number, count: number) =>
      connection.readRegisters(unitId, 'holding', address, count, timeout);
    let models = this.models;
    if (!models) {
      const base = this.device.registerMap.type === 'sunspec' ? this.device.registerMap.base : undefined;
      const found = await discoverSunSpec(read, base === undefined ? undefined : { bases: [base] });
      if (!found) throw new Error(`unit ${unitId}: no SunSpec marker at base ${base ?? '40000, 0 or 50000'}`);
      models = this.models = found.models;
    }
    const out: QuantityValue[] = [];
    for (const model of models) {
      const def = SUNSPEC_MODELS.get(model.id);
      if (!def || !hasQuantities(model.id)) continue;
      // The header is read with the body so a changed map (firmware update) is noticed at once.
      const total = model.length + 2;
      const regs = new Uint16Array(total);
      for (let done = 0; done < total; done += MAX_READ) {
        const count = Math.min(MAX_READ, total - done);
        regs.set(await read(model.offset + done, count), done);
      }
      if (regs[0] !== model.id || regs[1] !== model.length) {
        this.models = null;
        throw new Error(`unit ${unitId}: SunSpec model ${model.id} moved; discovering again`);
      }
      const decoded = decodeModel(def, regs);
      out.push(...quantitiesFromModel(model.id, (name) => decoded.points[name]));
    }
    return out;
  }
}

const quantityModels = new Set([
  101, 102, 103, 111, 112, 113, 124, 201, 202, 203, 204, 211, 212, 213, 214, 802,
]);
function hasQuantities(id: number): boolean {
  return quantityModels.has(id);
}

class CustomMapDriver implements DeviceDriver {
  constructor(private readonly device: Device) {}

  reset(): void {}

  async read(connection: ModbusConnection): Promise<QuantityValue[]> {
    if (this.device.registerMap.type !== 'custom') return [];
    const points = this.device.registerMap.points;
    const { unitId } = this.device.endpoint;
    const out: QuantityValue[] = [];
    for (const block of planReads(points)) {
      const regs = await connection.readRegisters(
        unitId,
        block.function,
        block.address,
        block.count,
        this.device.timeoutMs,
      );
      for (const point of points) {
        if (
          point.function !== block.function ||
          point.address < block.address ||
          point.address >= block.address + block.count
        )
          continue;
        if (!point.quantity) continue;
        out.push({
          quantity: point.quantity as QuantityValue['quantity'],
          value: decodeCustomPoint(point, regs, point.address - block.address),
          implemented: true,
        });
      }
    }
    return out;
  }
}
