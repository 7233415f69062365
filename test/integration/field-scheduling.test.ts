// Connections and scheduling against real Modbus/TCP servers on loopback: requests behind an
// RS-485 gateway go one at a time, a direct endpoint carries several but never more than 16,
// reconnects back off exponentially up to 5 minutes (a fake clock, so nothing waits that long),
// and every value carries a timestamp and a quality (good, stale, bad, not implemented).
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import {
  MAX_IN_FLIGHT,
  ModbusConnection,
  ModbusOfflineError,
} from '../../electron/field/modbus-connection.ts';
import { scanEndpoint } from '../../electron/field/endpoint-scan.ts';
import { BACKOFF_MAX_MS, Poller } from '../../electron/field/poller.ts';
import { buildSunSpecImage } from '../../electron/field/sunspec/codec.ts';
import { SUNSPEC_MODELS } from '../../electron/field/sunspec/models/index.ts';
import {
  ArrayBank,
  ModbusError,
  ModbusException,
  ModbusTcpServer,
  type RegisterBank,
} from '../../electron/sim/modbus-server.ts';
import { deviceSchema } from '../../shared/site/schema.ts';
import { waitFor } from '../fixtures/wait.ts';
import { fakeEndpoint, meterImage, siteOf, type FakeEndpoint } from '../fixtures/fake-devices.ts';

const meterImageFor = (unit: number) => meterImage(unit, 1000 + unit);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let cleanup: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const step of cleanup.reverse()) await step();
  cleanup = [];
});

/** Counts the requests a server is working on at once (each held for `holdMs`). */
function concurrency(endpoint: FakeEndpoint, holdMs: number): { max: () => number; served: () => number } {
  let now = 0;
  let max = 0;
  let served = 0;
  endpoint.setHook(async () => {
    now++;
    max = Math.max(max, now);
    await sleep(holdMs);
    now--;
    served++;
    return undefined;
  });
  return { max: () => max, served: () => served };
}

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('scheduling', () => {
  it('serializes the units behind one RS-485 gateway: one request on the wire at a time', async () => {
    const gw = await fakeEndpoint('gw', [1, 2, 3, 4, 5, 6], { gateway: true, pollPeriodMs: 100 });
    cleanup.push(() => gw.server.close());
    const seen = concurrency(gw, 5);
    const poller = new Poller(siteOf(gw.devices), { directInFlight: 16 });
    cleanup.push(() => poller.stop());
    poller.start();
    await waitFor(() => seen.served() > 40, 10_000, '40 requests through the gateway');
    expect(seen.max()).toBe(1);
    expect(poller.status().every((d) => d.state === 'online')).toBe(true);
  });

  it('lets a direct endpoint carry several requests at once, never more than 16', async () => {
    const units = Array.from({ length: 24 }, (_, i) => i + 1);
    const direct = await fakeEndpoint('direct', units, { pollPeriodMs: 100 });
    cleanup.push(() => direct.server.close());
    const seen = concurrency(direct, 30);
    // Asking for more than the Modbus/TCP guide's bound gets the bound.
    const poller = new Poller(siteOf(direct.devices), { directInFlight: 64 });
    cleanup.push(() => poller.stop());
    poller.start();
    await waitFor(() => seen.served() > 100, 15_000, '100 requests on the direct endpoint');
    expect(seen.max()).toBeGreaterThan(1);
    expect(seen.max()).toBeLessThanOrEqual(MAX_IN_FLIGHT);
    expect(new ModbusConnection('127.0.0.1', 1, { maxInFlight: 1000 }).options.maxInFlight).toBe(16);
  });
});

describe('reconnect backoff', () => {
  it('doubles from 0.5 s for an endpoint that never answered, capped at 5 minutes', async () => {
    const port = await freePort();
    let clock = 1_000_000;
    const connection = new ModbusConnection('127.0.0.1', port, { connectTimeoutMs: 1000 }, () => clock);
    cleanup.push(() => connection.close());
    const waits: number[] = [];
    for (let attempt = 0; attempt < 14; attempt++) {
      const error = await connection.readRegisters(1, 'holding', 0, 1, 500).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ModbusOfflineError);
      expect((error as Error).message).toMatch(/refused/);
      waits.push(connection.backoffRemainingMs);
      // While backing off, a request fails at once without touching the network.
      const before = connection.stats.connectFailures;
      await expect(connection.readRegisters(1, 'holding', 0, 1, 500)).rejects.toThrow(/next try in/);
      expect(connection.stats.connectFailures).toBe(before);
      clock += connection.backoffRemainingMs;
    }
    expect(waits.slice(0, 4)).toEqual([500, 1000, 2000, 4000]);
    expect(Math.max(...waits)).toBe(BACKOFF_MAX_MS);
    expect(waits.at(-1)).toBe(5 * 60_000);
  });

  it('keeps retrying an endpoint that answered recently at least every poll period', async () => {
    const endpoint = await fakeEndpoint('a', [1]);
    let clock = Date.now();
    const connection = new ModbusConnection(
      '127.0.0.1',
      endpoint.port,
      { recentBackoffCapMs: 1000, recentWindowMs: 600_000 },
      () => clock,
    );
    cleanup.push(() => connection.close());
    expect(await connection.readRegisters(1, 'holding', 40000, 2, 500)).toEqual(
      Uint16Array.from([0x5375, 0x6e53]),
    );
    await endpoint.server.close();
    const waits: number[] = [];
    for (let attempt = 0; attempt < 8; attempt++) {
      await connection.readRegisters(1, 'holding', 40000, 2, 500).catch(() => undefined);
      waits.push(connection.backoffRemainingMs);
      clock += Math.max(1, connection.backoffRemainingMs);
    }
    expect(Math.max(...waits)).toBe(1000);
    // Ten minutes after the last reply the outage is old news: the 5-minute cap applies again.
    clock += 600_000;
    for (let attempt = 0; attempt < 12; attempt++) {
      await connection.readRegisters(1, 'holding', 40000, 2, 500).catch(() => undefined);
      clock += connection.backoffRemainingMs;
    }
    await connection.readRegisters(1, 'holding', 40000, 2, 500).catch(() => undefined);
    expect(connection.backoffRemainingMs).toBe(BACKOFF_MAX_MS);
    await endpoint.server.listen();
    clock += connection.backoffRemainingMs;
    expect((await connection.readRegisters(1, 'holding', 40000, 2, 500)).length).toBe(2);
  });
});

describe('quality per value', () => {
  it('marks each value good, not implemented, bad or stale, with its own timestamp', async () => {
    // A SunSpec meter that leaves current and frequency unimplemented (sentinels).
    const image = buildSunSpecImage([
      { def: SUNSPEC_MODELS.get(1)!, values: { Mn: 'Test', Md: 'meter', SN: 'q1' } },
      {
        def: SUNSPEC_MODELS.get(201)!,
        values: { PhV: 230.1, V_SF: -1, W: 1500, W_SF: 0, TotWhImp: 7, TotWhExp: 0, TotWh_SF: 0 },
      },
    ]);
    // A custom-map meter whose second register block is refused with exception 2.
    const custom = new ArrayBank(0, Uint16Array.from([2300, 0, 0, 0]), undefined);
    const refusing: RegisterBank = {
      read(address: number, count: number) {
        if (address >= 100) throw new ModbusError(ModbusException.IllegalDataAddress);
        return custom.read(address, count);
      },
      write() {
        throw new ModbusError(ModbusException.IllegalFunction);
      },
    };
    const server = new ModbusTcpServer({
      host: '127.0.0.1',
      port: 0,
      units: new Map<number, RegisterBank>([
        [1, new ArrayBank(40000, image)],
        [2, refusing],
      ]),
    });
    const port = await server.listen();
    cleanup.push(() => server.close());
    const devices = [
      deviceSchema.parse({
        id: 'sunspec',
        kind: 'member-meter',
        endpoint: { host: '127.0.0.1', port, unitId: 1 },
        registerMap: { type: 'sunspec', base: 40000 },
        pollPeriodMs: 200,
      }),
      deviceSchema.parse({
        id: 'custom',
        kind: 'member-meter',
        endpoint: { host: '127.0.0.1', port, unitId: 2 },
        registerMap: {
          type: 'custom',
          points: [
            { name: 'V', address: 0, type: 'uint16', scale: 0.1, unit: 'V', quantity: 'voltageV' },
            { name: 'W', address: 200, type: 'int32', unit: 'W', scale: 0.001, quantity: 'powerKW' },
          ],
        },
        pollPeriodMs: 200,
      }),
    ];
    let skewMs = 0;
    const poller = new Poller(siteOf(devices), { now: () => Date.now() + skewMs });
    cleanup.push(() => poller.stop());
    poller.start();
    await waitFor(
      () => poller.status().every((d) => d.state === 'online' && Object.keys(d.readings).length > 1),
      5000,
      'both devices read',
    );
    const byId = () => new Map(poller.status().map((d) => [d.id, d.readings]));
    const sunspec = byId().get('sunspec')!;
    expect(sunspec.powerKW).toMatchObject({ value: 1.5, unit: 'kW', quality: 'good' });
    expect(sunspec.voltageV).toMatchObject({ value: 230.1, quality: 'good' });
    expect(sunspec.currentA).toMatchObject({ value: null, quality: 'not-implemented' });
    expect(sunspec.frequencyHz).toMatchObject({ value: null, quality: 'not-implemented' });
    expect(Math.abs(sunspec.powerKW!.timeMs - Date.now())).toBeLessThan(5000);
    const customReadings = byId().get('custom')!;
    expect(customReadings.voltageV).toMatchObject({ value: 230, quality: 'good' });
    expect(customReadings.powerKW).toMatchObject({ value: null, quality: 'bad' });
    expect(poller.status().find((d) => d.id === 'custom')?.error).toMatch(/exception 2/);
    // Seen from three periods later, good values have gone stale; a bad one stays bad.
    skewMs = 10 * 200;
    await poller.stop();
    const later = byId();
    expect(later.get('sunspec')!.powerKW!.quality).toBe('stale');
    expect(later.get('custom')!.voltageV!.quality).toBe('stale');
    expect(later.get('custom')!.powerKW!.quality).toBe('bad');
    expect(later.get('sunspec')!.currentA!.quality).toBe('not-implemented');
  });

  it('marks every value of a device that stops answering bad, keeping its last value and time', async () => {
    const a = await fakeEndpoint('a', [1], { pollPeriodMs: 100, timeoutMs: 100 });
    cleanup.push(() => a.server.close());
    const poller = new Poller(siteOf(a.devices));
    cleanup.push(() => poller.stop());
    poller.start();
    await waitFor(() => poller.status()[0]?.state === 'online', 5000, 'online');
    const good = poller.status()[0]!.readings.powerKW!;
    expect(good.quality).toBe('good');
    a.setHook(() => 'drop');
    await waitFor(() => poller.status()[0]?.state === 'offline', 5000, 'offline');
    const bad = poller.status()[0]!.readings.powerKW!;
    expect(bad.quality).toBe('bad');
    expect(bad.value).toBe(good.value);
    expect(bad.timeMs).toBeGreaterThanOrEqual(good.timeMs);
    expect(poller.status()[0]!.error).toMatch(/no reply within 100 ms/);
  });
});

describe('scan time per unit', () => {
  it('spends one request on a silent unit id, not one per SunSpec base', async () => {
    const server = new ModbusTcpServer({ host: '127.0.0.1', port: 0, units: new Map(), hook: () => 'drop' });
    const port = await server.listen();
    cleanup.push(() => server.close());
    const result = await scanEndpoint({ host: '127.0.0.1', port, fromUnit: 1, toUnit: 6, timeoutMs: 80 });
    expect(result).toMatchObject({ units: [], error: null, cancelled: false });
    expect(server.requests).toBe(6);
  });

  it('gives up on a unit whose model chain never ends within its budget, and scans on', async () => {
    const common = SUNSPEC_MODELS.get(1)!;
    // 60 common models in a row: walking them at 40 ms a read takes far longer than the budget.
    const endless = buildSunSpecImage(Array.from({ length: 60 }, () => ({ def: common, values: {} })));
    const perUnit = new Map<number, number>();
    const server = new ModbusTcpServer({
      host: '127.0.0.1',
      port: 0,
      units: new Map([
        [1, new ArrayBank(40000, endless)],
        [2, new ArrayBank(40000, meterImageFor(2))],
      ]),
      hook: async ({ unitId }) => {
        perUnit.set(unitId, (perUnit.get(unitId) ?? 0) + 1);
        if (unitId === 1) await sleep(40);
        return undefined;
      },
    });
    const port = await server.listen();
    cleanup.push(() => server.close());
    const result = await scanEndpoint({
      host: '127.0.0.1',
      port,
      fromUnit: 1,
      toUnit: 2,
      timeoutMs: 200,
      unitBudgetMs: 400,
    });
    // A walk of the whole chain would take 61 reads or more.
    expect(perUnit.get(1)).toBeLessThan(30);
    expect(result.units.find((u) => u.unit === 2)?.models.map((m) => m.id)).toEqual([1, 201]);
  });
});
