// modbus-serial as an independent Modbus/TCP client of the simulator, beside mbpoll and pymodbus:
// it reads the SunSpec marker and a meter behind a gateway (the value the console's poller shows)
// and writes the breaker's command register. The console itself frames Modbus/TCP on its own
// (electron/field/modbus-connection.ts explains why); this keeps both sides honest.
import ModbusRTU from 'modbus-serial';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Poller } from '../../electron/field/poller.ts';
import { pointOffsets } from '../../electron/field/sunspec/codec.ts';
import { SUNSPEC_MODELS } from '../../electron/field/sunspec/models/index.ts';
import { SiteSimulator } from '../../electron/sim/site-simulator.ts';
import { demoSite } from '../fixtures/demo-site.ts';
import { waitFor } from '../fixtures/wait.ts';

const site = demoSite();
let sim: SiteSimulator;
let poller: Poller;
const clients: ModbusRTU[] = [];

async function client(port: number, unitId: number): Promise<ModbusRTU> {
  const c = new ModbusRTU();
  await c.connectTCP('127.0.0.1', { port });
  c.setID(unitId);
  c.setTimeout(2000);
  clients.push(c);
  return c;
}

const signed = (v: number) => (v >= 0x8000 ? v - 0x10000 : v);

beforeAll(async () => {
  sim = await SiteSimulator.start(site, {
    ephemeralPorts: true,
    realTime: false,
    startMs: Date.parse('2026-06-21T11:30:00Z'),
  });
  sim.step(10);
  poller = new Poller(site, { endpointOf: (d) => sim.endpointOf(d) });
  poller.start();
  await waitFor(() => poller.status().every((d) => d.state === 'online'), 15_000, 'every device online');
});

afterAll(async () => {
  await Promise.all(clients.map((c) => new Promise<void>((resolve) => c.close(() => resolve()))));
  await poller.stop();
  await sim.stop();
});

describe('interoperability with modbus-serial', () => {
  it('reads the SunSpec map of a meter behind a gateway: same power as the console', async () => {
    const device = site.devices.find((d) => d.id === site.members.find((m) => m.id === 'h07')?.meter);
    if (!device) throw new Error('demo site has no h07 meter');
    const endpoint = sim.endpointOf(device);
    const c = await client(endpoint.port, endpoint.unitId);
    const marker = await c.readHoldingRegisters(40000, 2);
    expect(Buffer.from(marker.buffer).toString('latin1')).toBe('SunS');
    const meterBase = 40000 + 2 + 68;
    const meter = SUNSPEC_MODELS.get(201);
    if (!meter) throw new Error('model 201 missing');
    const offsets = pointOffsets(meter);
    const header = await c.readHoldingRegisters(meterBase, 2);
    expect(header.data[0]).toBe(201);
    sim.step(0);
    const w = (await c.readHoldingRegisters(meterBase + (offsets.W ?? NaN), 1)).data[0] ?? 0;
    const sf = (await c.readHoldingRegisters(meterBase + (offsets.W_SF ?? NaN), 1)).data[0] ?? 0;
    const kw = (signed(w) * 10 ** signed(sf)) / 1000;
    await waitFor(
      () => {
        const shown = poller.status().find((d) => d.id === device.id)?.readings.powerKW?.value;
        return shown !== undefined && shown !== null && Math.abs(shown - kw) < 1e-6;
      },
      5000,
      'the poller to show the power modbus-serial read',
    );
    expect(Math.abs(kw)).toBeGreaterThan(0.01);
  });

  it('writes the PCC breaker command register and reads the new position back', async () => {
    const breaker = site.devices.find((d) => d.kind === 'pcc-breaker');
    if (!breaker) throw new Error('demo site has no breaker');
    const endpoint = sim.endpointOf(breaker);
    const c = await client(endpoint.port, endpoint.unitId);
    expect((await c.readHoldingRegisters(0, 1)).data[0]).toBe(1);
    await c.writeRegister(2, 0);
    expect(sim.physics.state.breakerClosed).toBe(false);
    expect((await c.readHoldingRegisters(0, 1)).data[0]).toBe(0);
    await c.writeRegister(2, 1);
    expect(sim.physics.state.breakerClosed).toBe(true);
  });

  it('gets the exception code for a register the device does not have', async () => {
    const breaker = site.devices.find((d) => d.kind === 'pcc-breaker');
    if (!breaker) throw new Error('demo site has no breaker');
    const endpoint = sim.endpointOf(breaker);
    const c = await client(endpoint.port, endpoint.unitId);
    await expect(c.readHoldingRegisters(1000, 1)).rejects.toMatchObject({ modbusCode: 2 });
  });
});
