// The fault suite: real Modbus/TCP servers on loopback misbehave on purpose (silence, restarts,
// resets mid-frame, exception codes, short and malformed frames, wrong transaction ids, late
// replies, noise) while the poller runs. Through all of it: no crash, no reply delivered to the
// wrong request (every unit serves its own power value, so a misdelivery shows as a wrong
// value), healthy devices keep their cadence, and a device that comes back is read again soon.
import crypto from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { Poller, type DeviceCycle } from '../../electron/field/poller.ts';
import { frameOf } from '../../electron/sim/modbus-server.ts';
import { fakeEndpoint, siteOf, type FakeEndpoint } from '../unit/field/fake-devices.ts';
import { waitFor } from '../fixtures/wait.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

class Watch {
  readonly cycles: DeviceCycle[] = [];
  readonly misdelivered: string[] = [];
  constructor(
    poller: Poller,
    private readonly expectedKW: Map<string, number>,
  ) {
    poller.onCycle((cycle) => {
      this.cycles.push(cycle);
      const power = cycle.values.find((v) => v.quantity === 'powerKW');
      const want = this.expectedKW.get(cycle.device);
      if (cycle.ok && power && want !== undefined && power.value !== want)
        this.misdelivered.push(`${cycle.device}: read ${power.value} kW, serves ${want} kW`);
    });
  }

  okTimes(device: string, fromMs = 0, toMs = Infinity): number[] {
    return this.cycles
      .filter((c) => c.device === device && c.ok && c.timeMs >= fromMs && c.timeMs <= toMs)
      .map((c) => c.timeMs);
  }

  attempts(device: string, fromMs: number, toMs: number): number {
    return this.cycles.filter((c) => c.device === device && c.timeMs >= fromMs && c.timeMs <= toMs).length;
  }

  /** Longest time between good reads of a device inside a window (window edges count). */
  maxGap(device: string, fromMs: number, toMs: number): number {
    const times = [fromMs, ...this.okTimes(device, fromMs, toMs), toMs];
    let gap = 0;
    for (let i = 1; i < times.length; i++)
      gap = Math.max(gap, (times[i] as number) - (times[i - 1] as number));
    return gap;
  }

  firstOkAfter(device: string, t: number): number | undefined {
    return this.okTimes(device, t)[0];
  }

  errors(device: string): string[] {
    return this.cycles.filter((c) => c.device === device && !c.ok).map((c) => c.error ?? '');
  }
}

let endpoints: FakeEndpoint[] = [];
let poller: Poller | null = null;

async function setup(
  specs: Array<{
    name: string;
    units: number[];
    gateway?: boolean;
    pollPeriodMs?: number;
    timeoutMs?: number;
  }>,
  directInFlight = 4,
): Promise<{ watch: Watch; eps: Record<string, FakeEndpoint> }> {
  const eps: Record<string, FakeEndpoint> = {};
  let offset = 0;
  for (const spec of specs) {
    const base = offset;
    eps[spec.name] = await fakeEndpoint(spec.name, spec.units, {
      ...spec,
      wattsOf: (unit) => 1000 + base * 100 + unit * 7,
    });
    offset++;
  }
  endpoints = Object.values(eps);
  const devices = endpoints.flatMap((e) => e.devices);
  const expected = new Map<string, number>();
  for (const e of endpoints)
    for (const d of e.devices) expected.set(d.id, (e.watts.get(d.endpoint.unitId) as number) / 1000);
  poller = new Poller(siteOf(devices), { directInFlight });
  const watch = new Watch(poller, expected);
  poller.start();
  await waitFor(() => poller?.status().every((d) => d.state === 'online'), 5000, 'every fake device online');
  return { watch, eps };
}

afterEach(async () => {
  await poller?.stop();
  poller = null;
  await Promise.all(endpoints.map((e) => e.server.close()));
  endpoints = [];
});

const PERIOD = 200;

describe('field I/O under faults', () => {
  it('a direct device that stops answering: others keep their cadence, it is read again within two periods', async () => {
    const { watch, eps } = await setup([
      { name: 'a', units: [1] },
      { name: 'b', units: [1] },
      { name: 'c', units: [1] },
    ]);
    const t0 = Date.now();
    eps.a!.setHook(() => 'drop');
    await sleep(1500);
    eps.a!.setHook(undefined);
    const back = Date.now();
    await waitFor(() => watch.firstOkAfter('a-u1', back), 3000, 'a-u1 read again');
    const t1 = Date.now();
    expect(watch.okTimes('a-u1', t0 + 200, back)).toHaveLength(0);
    expect(watch.errors('a-u1').some((e) => /no reply within 150 ms/.test(e))).toBe(true);
    expect((watch.firstOkAfter('a-u1', back) as number) - back).toBeLessThanOrEqual(2 * PERIOD + 50);
    for (const other of ['b-u1', 'c-u1']) expect(watch.maxGap(other, t0, t1)).toBeLessThanOrEqual(2 * PERIOD);
    expect(watch.misdelivered).toEqual([]);
  });

  it('a dead unit behind a gateway is tried at backoff pace, so the live units keep their cadence', async () => {
    const { watch, eps } = await setup([
      { name: 'gw', units: [1, 2, 3, 4, 5, 6], gateway: true, pollPeriodMs: 300, timeoutMs: 120 },
    ]);
    const t0 = Date.now();
    eps.gw!.setHook(({ unitId }) => (unitId === 4 ? 'drop' : undefined));
    await sleep(4000);
    const t1 = Date.now();
    // Every period would be 13 attempts; backoff 1, 2, 4, 8 periods makes it 4 or 5.
    expect(watch.attempts('gw-u4', t0, t1)).toBeLessThanOrEqual(6);
    expect(watch.okTimes('gw-u4', t0 + 300, t1)).toHaveLength(0);
    for (const unit of [1, 2, 3, 5, 6]) expect(watch.maxGap(`gw-u${unit}`, t0, t1)).toBeLessThanOrEqual(600);
    expect(watch.misdelivered).toEqual([]);
  });

  it('a device whose server restarts is read again within two periods of coming back', async () => {
    const { watch, eps } = await setup([
      { name: 'a', units: [1] },
      { name: 'b', units: [1] },
    ]);
    const t0 = Date.now();
    await eps.a!.server.close();
    await sleep(1500);
    await eps.a!.server.listen();
    const back = Date.now();
    await waitFor(() => watch.firstOkAfter('a-u1', back), 3000, 'a-u1 read after restart');
    expect((watch.firstOkAfter('a-u1', back) as number) - back).toBeLessThanOrEqual(2 * PERIOD + 50);
    expect(watch.maxGap('b-u1', t0, Date.now())).toBeLessThanOrEqual(2 * PERIOD);
    expect(watch.errors('a-u1').some((e) => /refused|closed/.test(e))).toBe(true);
    expect(watch.misdelivered).toEqual([]);
  });

  it('survives connection resets mid-frame and reads on', async () => {
    const { watch, eps } = await setup([{ name: 'a', units: [1, 2] }]);
    let n = 0;
    eps.a!.setHook(() => (++n % 3 === 0 ? 'reset-mid-frame' : undefined));
    const t0 = Date.now();
    await sleep(1500);
    eps.a!.setHook(undefined);
    await sleep(500);
    expect(n).toBeGreaterThan(6);
    expect(watch.okTimes('a-u1', t0).length).toBeGreaterThan(3);
    expect(watch.okTimes('a-u2', t0).length).toBeGreaterThan(3);
    expect(watch.misdelivered).toEqual([]);
  });

  it.each([1, 2, 3, 4, 6])('reports exception %i by code and recovers when it stops', async (code) => {
    const { watch, eps } = await setup([
      { name: 'a', units: [1] },
      { name: 'b', units: [1] },
    ]);
    const t0 = Date.now();
    eps.a!.setHook(() => code);
    await waitFor(() => watch.errors('a-u1').length > 0, 2000, `an exception ${code}`);
    await sleep(300);
    eps.a!.setHook(undefined);
    const back = Date.now();
    await waitFor(() => watch.firstOkAfter('a-u1', back), 2000, 'a-u1 read again');
    expect(watch.errors('a-u1').some((e) => e.includes(`exception ${code}`))).toBe(true);
    expect((watch.firstOkAfter('a-u1', back) as number) - back).toBeLessThanOrEqual(2 * PERIOD + 50);
    expect(watch.maxGap('b-u1', t0, Date.now())).toBeLessThanOrEqual(2 * PERIOD);
    expect(watch.misdelivered).toEqual([]);
  });

  it('refuses short and malformed frames without taking them for data', async () => {
    const { watch, eps } = await setup([{ name: 'a', units: [1] }]);
    const variants: Array<(reply: Buffer, tid: number, unit: number) => Buffer> = [
      // Truncated: the header promises more bytes than ever come.
      (reply) => reply.subarray(0, reply.length - 5),
      // Short: a consistent frame whose byte count says fewer registers than asked for.
      (_reply, tid, unit) => frameOf(tid, unit, Buffer.from([3, 4, 0, 1, 0, 2])),
      // Wrong function code in the reply.
      (_reply, tid, unit) => frameOf(tid, unit, Buffer.from([4, 2, 0, 1])),
      // Byte count that disagrees with the frame length.
      (reply) => {
        const bad = Buffer.from(reply);
        bad.writeUInt8((bad.readUInt8(8) + 2) & 0xff, 8);
        return bad;
      },
      // Not Modbus/TCP: protocol id 1.
      (reply) => {
        const bad = Buffer.from(reply);
        bad.writeUInt16BE(1, 2);
        return bad;
      },
      // A frame length out of range.
      (reply) => {
        const bad = Buffer.from(reply);
        bad.writeUInt16BE(1, 4);
        return bad;
      },
    ];
    for (const variant of variants) {
      let served = 0;
      eps.a!.setHook(({ transactionId, unitId, reply }) =>
        served++ < 2 ? variant(reply(), transactionId, unitId) : undefined,
      );
      const before = Date.now();
      await waitFor(() => served >= 3 && watch.firstOkAfter('a-u1', before), 3000, 'a read after bad frames');
    }
    expect(watch.errors('a-u1').length).toBeGreaterThan(0);
    expect(watch.misdelivered).toEqual([]);
  });

  it('never hands a reply with a wrong transaction id to a request (pipelined units)', async () => {
    const { watch, eps } = await setup([{ name: 'a', units: [1, 2, 3, 4, 5, 6] }], 6);
    let n = 0;
    eps.a!.setHook(({ transactionId, reply }) => {
      if (++n % 4 !== 0) return undefined;
      const wrong = Buffer.from(reply());
      wrong.writeUInt16BE((transactionId ^ 1) & 0xffff, 0);
      return wrong;
    });
    await sleep(2000);
    eps.a!.setHook(undefined);
    await sleep(400);
    expect(n).toBeGreaterThan(20);
    const stats = poller!.connectionStats()[0]!;
    expect(stats.strayReplies + stats.mismatchedReplies).toBeGreaterThan(0);
    for (let unit = 1; unit <= 6; unit++) expect(watch.okTimes(`a-u${unit}`).length).toBeGreaterThan(3);
    expect(watch.misdelivered).toEqual([]);
  });

  it('drops late replies that arrive after their request timed out', async () => {
    const { watch, eps } = await setup([{ name: 'a', units: [1, 2, 3] }], 3);
    let n = 0;
    eps.a!.setHook(async () => {
      // Every fourth request: with three units the late one rotates among them.
      if (++n % 4 === 0) await sleep(220);
      return undefined;
    });
    await sleep(2000);
    eps.a!.setHook(undefined);
    await sleep(500);
    const stats = poller!.connectionStats()[0]!;
    expect(stats.timeouts).toBeGreaterThan(0);
    expect(stats.strayReplies).toBeGreaterThan(0);
    for (let unit = 1; unit <= 3; unit++) expect(watch.okTimes(`a-u${unit}`).length).toBeGreaterThan(3);
    expect(watch.misdelivered).toEqual([]);
  });

  it('survives random bytes on the wire', async () => {
    const { watch, eps } = await setup([
      { name: 'a', units: [1, 2] },
      { name: 'b', units: [1] },
    ]);
    let n = 0;
    const t0 = Date.now();
    eps.a!.setHook(() => (++n % 5 === 0 ? crypto.randomBytes(1 + (n % 60)) : undefined));
    await sleep(2500);
    eps.a!.setHook(undefined);
    await sleep(400);
    expect(
      poller!.connectionStats().find((s) => s.endpoint.endsWith(`:${eps.a!.port}`))?.garbledStreams,
    ).toBeGreaterThan(0);
    expect(watch.okTimes('a-u1', t0).length).toBeGreaterThan(3);
    expect(watch.maxGap('b-u1', t0, Date.now())).toBeLessThanOrEqual(2 * PERIOD);
    expect(watch.misdelivered).toEqual([]);
  });

  it('all faults at once on one endpoint leave another endpoint on its cadence', async () => {
    const { watch, eps } = await setup([
      { name: 'bad', units: [1, 2, 3, 4] },
      { name: 'gw', units: [1, 2, 3], gateway: true },
      { name: 'good', units: [1] },
    ]);
    let n = 0;
    const faults = [
      () => 'drop' as const,
      () => 'reset-mid-frame' as const,
      () => 4,
      () => 6,
      () => crypto.randomBytes(9),
    ];
    eps.bad!.setHook(async ({ transactionId, reply }) => {
      n++;
      if (n % 7 === 0) {
        const wrong = Buffer.from(reply());
        wrong.writeUInt16BE((transactionId + 1) & 0xffff, 0);
        return wrong;
      }
      if (n % 11 === 0) {
        await sleep(200);
        return undefined;
      }
      return n % 3 === 0 ? faults[n % faults.length]!() : undefined;
    });
    eps.gw!.setHook(({ unitId }) => (unitId === 2 ? 'drop' : undefined));
    const t0 = Date.now();
    await sleep(3000);
    const t1 = Date.now();
    expect(watch.maxGap('good-u1', t0, t1)).toBeLessThanOrEqual(2 * PERIOD);
    for (const unit of [1, 3])
      expect(watch.maxGap(`gw-u${unit}`, t0, t1)).toBeLessThanOrEqual(2 * PERIOD + 150);
    expect(watch.misdelivered).toEqual([]);
    eps.bad!.setHook(undefined);
    eps.gw!.setHook(undefined);
    const back = Date.now();
    for (let unit = 1; unit <= 4; unit++)
      await waitFor(() => watch.firstOkAfter(`bad-u${unit}`, back), 2000, `bad-u${unit} read again`);
    expect(poller!.status().find((d) => d.id === 'good-u1')?.readings.powerKW?.quality).toBe('good');
  });
});
