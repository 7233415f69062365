// Model 802's State point as the canonical batteryFault quantity, and the simulated battery
// inverter's face when it trips: State FAULT with an alarm bit, and commands refused (exception 4).
import { describe, expect, it } from 'vitest';
import { quantitiesFromModel } from '../../../../electron/field/quantities.ts';
import { buildSunSpecImage, decodeModel } from '../../../../electron/field/sunspec/codec.ts';
import { SUNSPEC_MODELS } from '../../../../electron/field/sunspec/models/index.ts';
import { STORAGE_MODE_MODEL_ID } from '../../../../electron/field/vendor-models.ts';
import { simulatedDevice, SUNSPEC_BASE } from '../../../../electron/sim/device-images.ts';
import { ModbusError, ModbusException } from '../../../../electron/sim/modbus-server.ts';
import { SitePhysics } from '../../../../electron/sim/site-physics.ts';
import { KNOWN_MODELS } from '../../../../electron/field/device-drivers.ts';
import { demoSite } from '../../../fixtures/demo-site.ts';

const model802 = SUNSPEC_MODELS.get(802)!;

/** Model 802 encoded with the points a battery must carry, State as given (undefined: not implemented). */
function decoded802(state: string | undefined) {
  const image = buildSunSpecImage([
    {
      def: model802,
      values: {
        AHRtg: 2000,
        WHRtg: 10000,
        WChaRteMax: 5000,
        WDisChaRteMax: 5000,
        SoC: 55,
        ChaSt: 'HOLDING',
        LocRemCtl: 'REMOTE',
        Typ: 'LITHIUM_ION',
        State: state,
        Evt1: [],
        Evt2: [],
        AlmRst: 0,
      },
    },
  ]);
  // Past the 'SunS' marker: the model's ID, L and body.
  const regs = image.subarray(2);
  return decodeModel(model802, regs);
}

function faultOf(state: string | undefined) {
  const decoded = decoded802(state);
  return quantitiesFromModel(802, (name) => decoded.points[name]).find((q) => q.quantity === 'batteryFault');
}

describe('batteryFault from SunSpec model 802 State', () => {
  it('reads 1 in FAULT and 0 in the other states', () => {
    expect(faultOf('FAULT')).toEqual({ quantity: 'batteryFault', value: 1, implemented: true });
    for (const state of ['CONNECTED', 'DISCONNECTED', 'STANDBY', 'INITIALIZING'])
      expect(faultOf(state), state).toEqual({ quantity: 'batteryFault', value: 0, implemented: true });
  });

  it('is unknown, not zero, when the device does not implement State', () => {
    expect(faultOf(undefined)).toEqual({ quantity: 'batteryFault', value: null, implemented: false });
  });

  it('sits beside the SoC, which still decodes', () => {
    const decoded = decoded802('FAULT');
    const soc = quantitiesFromModel(802, (name) => decoded.points[name]).find(
      (q) => q.quantity === 'socFraction',
    );
    expect(soc?.value).toBeCloseTo(0.55, 6);
  });
});

describe('the simulated battery inverter when it trips', () => {
  const site = demoSite();
  const id = site.batteryPool!.inverters[0]!;
  const device = site.devices.find((d) => d.id === id)!;

  /** Decodes one model of the device's image by walking the chain from the 'SunS' marker. */
  function modelOf(registers: Uint16Array, modelId: number) {
    let at = 2;
    while (at + 1 < registers.length && registers[at] !== 0xffff) {
      const length = registers[at + 1]!;
      if (registers[at] === modelId)
        return {
          address: SUNSPEC_BASE + at,
          decoded: decodeModel(KNOWN_MODELS.get(modelId)!, registers.subarray(at, at + 2 + length)),
        };
      at += 2 + length;
    }
    throw new Error(`model ${modelId} not in the image`);
  }

  it('shows FAULT with an alarm bit in 802 and FAULT in 103, and refuses commands with exception 4', () => {
    const physics = new SitePhysics(site, Date.parse('2026-06-21T10:00:00Z'));
    const sim = simulatedDevice(device, site, physics);
    const before = modelOf(sim.bank.registers, 802).decoded.points;
    expect(before.State?.value).toBe('CONNECTED');
    expect(before.Evt1?.value).toEqual([]);

    physics.tripBattery(id);
    sim.refresh();
    const regs = sim.bank.registers;
    const after = modelOf(regs, 802).decoded.points;
    expect(after.State?.value).toBe('FAULT');
    expect(after.Evt1?.value).toEqual(['OTHER_ALARM']);
    expect(modelOf(regs, 103).decoded.points.St?.value).toBe('FAULT');

    // Writing the storage mode register (model 64901's Mod, its first point) back as it reads.
    const mode = modelOf(regs, STORAGE_MODE_MODEL_ID);
    const modAddress = mode.address + 2;
    const write = () => sim.bank.write(modAddress, [regs[modAddress - SUNSPEC_BASE]!]);
    let thrown: unknown;
    try {
      write();
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(ModbusError);
    expect((thrown as ModbusError).code).toBe(ModbusException.ServerDeviceFailure);
    expect(physics.state.batteries.get(id)?.mode).toBe('standby');

    // Reset, the same write is accepted again.
    physics.resetBattery(id);
    sim.refresh();
    expect(() => sim.bank.write(modAddress, [sim.bank.registers[modAddress - SUNSPEC_BASE]!])).not.toThrow();
  });
});
