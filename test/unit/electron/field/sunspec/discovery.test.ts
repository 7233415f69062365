import { describe, expect, it } from 'vitest';
import { buildSunSpecImage, encodeModel } from '../../../../../electron/field/sunspec/codec.ts';
import {
  discoverSunSpec,
  readModel,
  MAX_READ_REGISTERS,
  DEFAULT_MAX_MODELS,
  type ReadRegisters,
} from '../../../../../electron/field/sunspec/discovery.ts';
import { SUNSPEC_MODELS } from '../../../../../electron/field/sunspec/models/index.ts';
import type { ModelDef } from '../../../../../electron/field/sunspec/types.ts';

function def(id: number): ModelDef {
  return SUNSPEC_MODELS.get(id)!;
}

class IllegalAddress extends Error {
  readonly modbusCode = 2;
}

/**
 * An in-memory device: register images at given addresses; reads outside them reject with
 * exception 2 as a real device does. Records every read so tests can check request sizes.
 */
function fakeDevice(banks: Array<{ at: number; regs: ArrayLike<number> }>): {
  read: ReadRegisters;
  reads: Array<[number, number]>;
} {
  const reads: Array<[number, number]> = [];
  const read: ReadRegisters = (address, count) => {
    reads.push([address, count]);
    if (count < 1 || count > MAX_READ_REGISTERS) return Promise.reject(new Error(`illegal count ${count}`));
    const bank = banks.find((b) => address >= b.at && address + count <= b.at + b.regs.length);
    if (!bank) return Promise.reject(new IllegalAddress(`illegal data address ${address}+${count}`));
    return Promise.resolve(
      Uint16Array.from(
        Array.prototype.slice.call(bank.regs, address - bank.at, address - bank.at + count) as number[],
      ),
    );
  };
  return { read, reads };
}

function image(): Uint16Array {
  return buildSunSpecImage([
    { def: def(1), values: { Mn: 'Commonwatt', Md: 'sim', SN: 'CW1' } },
    { def: def(103), values: { W: 4200, St: 'MPPT' } },
    { def: def(124), values: { WChaMax: 5000 } },
    { def: def(802), values: { SoC: 64.5 } },
  ]);
}

const EXPECTED_IDS = [1, 103, 124, 802];

describe('discoverSunSpec', () => {
  it('finds the map at 40000 and walks the model chain', async () => {
    const { read, reads } = fakeDevice([{ at: 40000, regs: image() }]);
    const map = await discoverSunSpec(read);
    expect(map).not.toBeNull();
    expect(map!.base).toBe(40000);
    expect(map!.complete).toBe(true);
    expect(map!.models.map((m) => m.id)).toEqual(EXPECTED_IDS);
    expect(map!.models[0]).toEqual({ id: 1, offset: 40002, length: 66 });
    expect(map!.models[1]).toEqual({ id: 103, offset: 40070, length: 50 });
    expect(reads.every(([, count]) => count <= MAX_READ_REGISTERS)).toBe(true);
  });

  it('tries base 0 after an exception at 40000', async () => {
    const { read, reads } = fakeDevice([{ at: 0, regs: image() }]);
    const map = await discoverSunSpec(read);
    expect(map!.base).toBe(0);
    expect(map!.models.map((m) => m.id)).toEqual(EXPECTED_IDS);
    expect(reads[0]).toEqual([40000, 2]);
    expect(reads[1]).toEqual([0, 2]);
  });

  it('tries base 50000 when 40000 refuses and 0 holds something else', async () => {
    const { read } = fakeDevice([
      { at: 0, regs: new Uint16Array(200) },
      { at: 50000, regs: image() },
    ]);
    const map = await discoverSunSpec(read);
    expect(map!.base).toBe(50000);
    expect(map!.models[0]!.offset).toBe(50002);
  });

  it('returns null when no base holds the marker', async () => {
    const { read } = fakeDevice([{ at: 40000, regs: [0x1234, 0x5678, 1, 66] }]);
    expect(await discoverSunSpec(read)).toBeNull();
    expect(await discoverSunSpec(fakeDevice([]).read)).toBeNull();
  });

  it('probes only the given bases', async () => {
    const { read, reads } = fakeDevice([{ at: 1000, regs: image() }]);
    expect((await discoverSunSpec(read, { bases: [1000] }))!.base).toBe(1000);
    expect(await discoverSunSpec(read, { bases: [40000] })).toBeNull();
    expect(reads.map(([address]) => address)).toContain(40000);
  });

  it('keeps the models found when the chain ends without the end marker', async () => {
    const full = image();
    const truncated = full.subarray(0, full.length - 2); // a device that omits the end model
    const { read } = fakeDevice([{ at: 40000, regs: truncated }]);
    const map = await discoverSunSpec(read);
    expect(map!.complete).toBe(false);
    expect(map!.models.map((m) => m.id)).toEqual(EXPECTED_IDS);
  });

  it('stops at zero-filled memory after the last model', async () => {
    const full = image();
    const regs = new Uint16Array(full.length + 10);
    regs.set(full.subarray(0, full.length - 2));
    const map = await discoverSunSpec(fakeDevice([{ at: 40000, regs }]).read);
    expect(map!.complete).toBe(false);
    expect(map!.models.map((m) => m.id)).toEqual(EXPECTED_IDS);
  });

  it('bounds a garbage chain by the number of models', async () => {
    // Every header reads "model 1, length 0": without a bound this would walk the whole space.
    const regs = new Uint16Array(60000);
    for (let i = 0; i < regs.length; i += 2) regs.set([1, 0], i);
    regs.set([0x5375, 0x6e53], 0);
    const { read, reads } = fakeDevice([{ at: 0, regs }]);
    const map = await discoverSunSpec(read, { bases: [0] });
    expect(map!.complete).toBe(false);
    expect(map!.models).toHaveLength(DEFAULT_MAX_MODELS);
    expect(reads.length).toBeLessThanOrEqual(DEFAULT_MAX_MODELS + 1);
    expect((await discoverSunSpec(read, { bases: [0], maxModels: 5 }))!.models).toHaveLength(5);
  });

  it('stops when a garbage length jumps past the address space', async () => {
    const regs = Uint16Array.from([0x5375, 0x6e53, 1, 0xfff0, 0, 0]);
    const map = await discoverSunSpec(fakeDevice([{ at: 40000, regs }]).read);
    expect(map!.models).toEqual([{ id: 1, offset: 40002, length: 0xfff0 }]);
    expect(map!.complete).toBe(false);
  });
});

describe('readModel', () => {
  it('reads a model in chunks of at most 125 registers and decodes it', async () => {
    const regs = buildSunSpecImage([{ def: def(701), values: { W: 2500, ACType: 'THREE_PHASE' } }]);
    const { read, reads } = fakeDevice([{ at: 40000, regs }]);
    const map = await discoverSunSpec(read);
    reads.length = 0;
    const model = await readModel(read, map!.models[0]!);
    expect(model.length).toBe(153);
    expect(reads).toEqual([
      [40002, 125],
      [40127, 30],
    ]);
    expect(model.decoded!.points.W!.value).toBe(2500);
    expect(model.decoded!.points.ACType!.value).toBe('THREE_PHASE');
  });

  it('returns the raw registers of a model it does not define', async () => {
    const vendor = Uint16Array.from([0x5375, 0x6e53, 64999, 3, 7, 8, 9, 0xffff, 0]);
    const { read } = fakeDevice([{ at: 40000, regs: vendor }]);
    const map = await discoverSunSpec(read);
    const model = await readModel(read, map!.models[0]!);
    expect(model.decoded).toBeNull();
    expect([...model.regs]).toEqual([64999, 3, 7, 8, 9]);
  });

  it('throws when the header moved since discovery', async () => {
    const { read } = fakeDevice([{ at: 40000, regs: image() }]);
    const map = await discoverSunSpec(read);
    const stale = { ...map!.models[1]!, offset: map!.models[1]!.offset + 1 };
    await expect(readModel(read, stale)).rejects.toThrow(
      /model 103 at register 40071.*discover the map again/,
    );
  });

  it('decodes what the simulator encodes, end to end', async () => {
    const regs = buildSunSpecImage([{ def: def(213), values: { W: -3200.25, TotWhImp: 1e6 } }]);
    const { read } = fakeDevice([{ at: 40000, regs }]);
    const map = await discoverSunSpec(read);
    const model = await readModel(read, map!.models[0]!);
    expect(model.decoded!.points.W!.value).toBe(-3200.25);
    expect(model.decoded!.points.TotWhImp!.value).toBe(1e6);
    expect(encodeModel(def(213), { W: -3200.25, TotWhImp: 1e6 })).toEqual(model.regs);
  });
});
