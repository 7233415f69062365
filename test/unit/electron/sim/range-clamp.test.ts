// The simulator never stops on a value its registers cannot hold: it clamps to the register's
// range and raises an alarm, which the simulator part logs and lists in its state.
import { describe, expect, it } from 'vitest';
import { simulatedDevice } from '../../../../electron/sim/device-images.ts';
import { RangeAlarms } from '../../../../electron/sim/range-clamp.ts';
import { SitePhysics } from '../../../../electron/sim/site-physics.ts';
import { SiteSimulator } from '../../../../electron/sim/site-simulator.ts';
import { createSimulatorPart, type SimulatorContext } from '../../../../electron/sim/simulator-part.ts';
import { decodeModel } from '../../../../electron/field/sunspec/codec.ts';
import { SUNSPEC_MODELS } from '../../../../electron/field/sunspec/models/index.ts';
import { demoSite } from '../../../fixtures/demo-site.ts';

/** The decoded model `id` of a SunSpec image (after the `SunS` marker, models follow each other). */
function modelOf(image: Uint16Array, id: number) {
  let at = 2;
  while (image[at] !== id) at += 2 + image[at + 1]!;
  return decodeModel(SUNSPEC_MODELS.get(id)!, image.subarray(at, at + 2 + image[at + 1]!));
}

describe('an out-of-range value in the simulator', () => {
  it('is clamped to the register range and raises an alarm, which clears when it comes back', () => {
    const site = demoSite();
    const member = site.members.find((m) => m.category === 'household')!;
    const device = site.devices.find((d) => d.id === member.meter)!;
    const physics = new SitePhysics(site, Date.parse('2026-06-21T12:00:00Z'));
    const alarms = new RangeAlarms(() => 42);
    const raised: string[] = [];
    alarms.onRaise((a) => raised.push(`${a.device} ${a.point}`));
    const sim = simulatedDevice(device, site, physics, alarms);

    // 1 GW at a household meter: W is an int16 at W_SF = 1 (the image's fixed factor above 32 kW),
    // so the register holds at most 32767 × 10 = 327,670 W. Before the clamp the encoder threw.
    physics.state.members.get(member.id)!.netKW = 1e6;
    expect(() => sim.refresh()).not.toThrow();
    const meter = modelOf(sim.bank.registers, 201);
    expect(meter.points.W?.value).toBe(327_670);
    expect(alarms.list()).toContainEqual({
      device: device.id,
      point: '201.W',
      value: 1e9,
      shown: 327_670,
      sinceMs: 42,
    });
    expect(raised).toContain(`${device.id} 201.W`);

    // Not a number: shown as not implemented, with an alarm.
    physics.state.members.get(member.id)!.netKW = Number.NaN;
    sim.refresh();
    expect(modelOf(sim.bank.registers, 201).points.W?.implemented).toBe(false);
    expect(alarms.list().find((a) => a.point === '201.W')).toMatchObject({ value: null, shown: null });

    // Back in range: 2.5 kW reads 2500 W and the alarm is gone.
    physics.state.members.get(member.id)!.netKW = 2.5;
    sim.refresh();
    expect(modelOf(sim.bank.registers, 201).points.W?.value).toBe(2500);
    expect(alarms.list()).toEqual([]);
  });

  it('a site whose load no register can hold runs on, logs the alarm and flags it in the state', async () => {
    const site = demoSite();
    // A clinic drawing ~1.1 GW on average: its three-phase meter's W cannot hold it.
    const clinic = site.members.find((m) => m.id === 'clinic')!;
    clinic.annualConsumptionKWh = 1e10;
    const sim = await SiteSimulator.start(site, {
      ephemeralPorts: true,
      realTime: false,
      startMs: Date.parse('2026-06-21T12:00:00Z'),
    });
    const logs: string[] = [];
    const part = createSimulatorPart({
      simulator: sim,
      log: (m: string) => logs.push(m),
    } as unknown as SimulatorContext);
    try {
      expect(() => sim.step(5)).not.toThrow();
      const state = await part.handlers['simulator/state']({}, undefined as never);
      expect(state.simulated).toBe(true);
      expect(state.outOfRange?.some((a) => a.device === clinic.meter && a.point === '203.W')).toBe(true);
      expect(
        logs.some(
          (l) => l.startsWith(`simulator: ${clinic.meter} 203.W:`) && l.includes('outside its register'),
        ),
      ).toBe(true);
    } finally {
      await part.stop?.();
      await sim.stop();
    }
  });
});
