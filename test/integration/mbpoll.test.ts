// An independent Modbus client (Debian's mbpoll) reads a meter from the running simulator and
// gets the value the console's poller shows.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
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

// Asynchronous on purpose: the simulator answering mbpoll runs on this process's event loop.
async function mbpoll(port: number, unit: number, address: number, count: number): Promise<number[]> {
  const { stdout: out } = await promisify(execFile)(
    'mbpoll',
    [
      '-m',
      'tcp',
      '-a',
      String(unit),
      '-r',
      String(address),
      '-0',
      '-c',
      String(count),
      '-t',
      '4',
      '-1',
      '-p',
      String(port),
      '127.0.0.1',
    ],
    {
      encoding: 'utf8',
      timeout: 10_000,
    },
  );
  const values = [...out.matchAll(/^\[(\d+)\]:\s+(-?\d+)/gm)].map((m) => Number(m[2]));
  if (values.length !== count)
    throw new Error(`mbpoll printed ${values.length} values, expected ${count}:\n${out}`);
  return values;
}

beforeAll(async () => {
  sim = await SiteSimulator.start(site, {
    ephemeralPorts: true,
    realTime: false,
    startMs: Date.parse('2026-06-21T18:30:00Z'),
  });
  sim.step(10);
  poller = new Poller(site, { endpointOf: (d) => sim.endpointOf(d) });
  poller.start();
  await waitFor(() => poller.status().every((d) => d.state === 'online'), 15_000, 'every device online');
});

afterAll(async () => {
  await poller.stop();
  await sim.stop();
});

describe('interoperability with mbpoll', () => {
  it('reads a household meter behind a gateway: same power as the console', async () => {
    const member = site.members.find((m) => m.id === 'h07');
    const device = site.devices.find((d) => d.id === member?.meter);
    if (!device) throw new Error('demo site has no h07 meter');
    const endpoint = sim.endpointOf(device);
    // Common model (1) is 66 registers + header after the 'SunS' marker; the meter model follows.
    const common = SUNSPEC_MODELS.get(1);
    const meter = SUNSPEC_MODELS.get(201);
    if (!common || !meter) throw new Error('models missing');
    const meterBase = 40000 + 2 + 68;
    const [id] = await mbpoll(endpoint.port, endpoint.unitId, meterBase, 1);
    expect(id).toBe(201);
    const offsets = pointOffsets(meter);
    const [wRaw] = await mbpoll(endpoint.port, endpoint.unitId, meterBase + (offsets.W ?? NaN), 1);
    const [sfRaw] = await mbpoll(endpoint.port, endpoint.unitId, meterBase + (offsets.W_SF ?? NaN), 1);
    const signed = (v: number) => (v >= 0x8000 ? v - 0x10000 : v);
    const kw = (signed(wRaw ?? 0) * 10 ** signed(sfRaw ?? 0)) / 1000;
    const shown = poller.status().find((d) => d.id === device.id)?.readings.powerKW?.value;
    expect(shown).not.toBeNull();
    expect(kw).toBeCloseTo(shown ?? NaN, 6);
    expect(Math.abs(kw)).toBeGreaterThan(0.01);
  });
});
