// The fault suite: real Modbus/TCP servers on loopback misbehave on purpose (silence, restarts,
// resets mid-frame, exception codes, short and malformed frames, wrong transaction ids, late
// replies, noise) while the poller runs. Through all of it: no crash, no reply delivered to the
// wrong request (every unit serves its own power value, so a misdelivery shows as a wrong
// value), healthy devices keep their cadence, and a device that comes back is read again soon.
//
// The machine is shared, so no assertion times elapsed milliseconds: "keeps its cadence" and
// "soon" are counted in cycles of a healthy device with the same period on its own endpoint (its
// reads are the clock, and they slow down with the machine exactly as the device under test
// does), and the tests wait on the condition itself rather than for a fixed time.
import crypto from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { Poller, type DeviceCycle } from '../../electron/field/poller.ts';
import { frameOf } from '../../electron/sim/modbus-server.ts';
import { fakeEndpoint, siteOf, type FakeEndpoint } from '../fixtures/fake-devices.ts';
import { waitFor } from '../fixtures/wait.ts';

/** A delay inside a fake server's reply (the fault itself), never a wait for the poller. */
const delay = (ms: number) => new Promise((r) => setTimeout(r, ms));

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

  /** A point in the cycle log: cycles are numbered in the order the poller reported them. */
  mark(): number {
    return this.cycles.length;
  }

  private of(device: string, from: number, to: number): DeviceCycle[] {
    return this.cycles.slice(from, to).filter((c) => c.device === device);
  }

  ok(device: string, from = 0, to = Infinity): number {
    return this.of(device, from, to).filter((c) => c.ok).length;
  }

  failed(device: string, from = 0, to = Infinity): number {
    return this.of(device, from, to).filter((c) => !c.ok).length;
  }

  attempts(device: string, from: number, to = Infinity): number {
    return this.of(device, from, to).length;
  }

  /** Index of the device's first good read at or after `from`, or undefined. */
  firstOkAt(device: string, from: number): number | undefined {
    const i = this.cycles.findIndex((c, j) => j >= from && c.device === device && c.ok);
    return i < 0 ? undefined : i;
  }

  /** Index of the device's first failed cycle at or after `from`, or undefined. */
  firstFailAt(device: string, from: number): number | undefined {
    const i = this.cycles.findIndex((c, j) => j >= from && c.device === device && !c.ok);
    return i < 0 ? undefined : i;
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

/** "Within two periods", in reads of a healthy device with the same period: two, and one for phase. */
const TWO_PERIODS_IN_READS = 3;

/** Waits until `device` has had `n` good reads since `from`: `n` of its periods have passed. */
async function periodsPass(watch: Watch, device: string, from: number, n: number): Promise<void> {
  await waitFor(() => watch.ok(device, from) >= n, 200 * n + 10_000, `${n} good reads of ${device}`);
}

describe('field I/O under faults', () => {
  it('a direct device that stops answering: others keep their cadence, it is read again within two periods', async () => {
    const { watch, eps } = await setup([
      { name: 'a', units: [1] },
      { name: 'b', units: [1] },
      { name: 'c', units: [1] },
    ]);
    const silent = watch.mark();
    eps.a!.setHook(() => 'drop');
    await waitFor(() => watch.failed('a-u1', silent) >= 5, 10_000, 'five timeouts of a-u1');
    eps.a!.setHook(undefined);
    const back = watch.mark();
    await waitFor(() => watch.firstOkAt('a-u1', back) !== undefined, 10_000, 'a-u1 read again');
    const firstFail = watch.firstFailAt('a-u1', silent)!;
    // Silent from its first timeout until the hook went: no good read in between.
    expect(watch.ok('a-u1', firstFail, back)).toBe(0);
    expect(watch.errors('a-u1').some((e) => /no reply within 150 ms/.test(e))).toBe(true);
    // A direct device costs no one else anything: the others never fail, and are read at least as
    // often as the silent device is tried (same period), less one for phase.
    const tries = watch.attempts('a-u1', firstFail, back);
    for (const other of ['b-u1', 'c-u1']) {
      expect(watch.failed(other, silent)).toBe(0);
      expect(watch.ok(other, firstFail, back)).toBeGreaterThanOrEqual(tries - 1);
    }
    expect(watch.ok('b-u1', back, watch.firstOkAt('a-u1', back))).toBeLessThanOrEqual(TWO_PERIODS_IN_READS);
    expect(watch.misdelivered).toEqual([]);
  });

  it('a dead unit behind a gateway is tried at backoff pace, so the live units keep their cadence', async () => {
    const { watch, eps } = await setup([
      { name: 'gw', units: [1, 2, 3, 4, 5, 6], gateway: true, pollPeriodMs: 300, timeoutMs: 120 },
    ]);
    eps.gw!.setHook(({ unitId }) => (unitId === 4 ? 'drop' : undefined));
    const dead = watch.mark();
    // Thirteen periods of the live units.
    await periodsPass(watch, 'gw-u1', dead, 13);
    // Tried every period it would be 13 attempts; backoff 1, 2, 4, 8 periods makes it 4 or 5.
    expect(watch.attempts('gw-u4', dead)).toBeLessThanOrEqual(6);
    expect(watch.attempts('gw-u4', dead)).toBeGreaterThanOrEqual(3);
    expect(watch.ok('gw-u4', watch.firstFailAt('gw-u4', dead))).toBe(0);
    // The live units share the wire with the dead one and still get (nearly) every period.
    for (const unit of [2, 3, 5, 6]) {
      expect(watch.failed(`gw-u${unit}`, dead)).toBe(0);
      expect(watch.ok(`gw-u${unit}`, dead)).toBeGreaterThanOrEqual(12);
    }
    expect(watch.misdelivered).toEqual([]);
  });

  it('a device whose server restarts is read again within two periods of coming back', async () => {
    const { watch, eps } = await setup([
      { name: 'a', units: [1] },
      { name: 'b', units: [1] },
    ]);
    const down = watch.mark();
    await eps.a!.server.close();
    await waitFor(() => watch.failed('a-u1', down) >= 1, 10_000, 'a-u1 failing');
    await periodsPass(watch, 'b-u1', down, 7);
    await eps.a!.server.listen();
    const back = watch.mark();
    await waitFor(() => watch.firstOkAt('a-u1', back) !== undefined, 10_000, 'a-u1 read after restart');
    expect(watch.ok('b-u1', back, watch.firstOkAt('a-u1', back))).toBeLessThanOrEqual(TWO_PERIODS_IN_READS);
    expect(watch.failed('b-u1', down)).toBe(0);
    expect(watch.errors('a-u1').some((e) => /refused|closed/.test(e))).toBe(true);
    expect(watch.misdelivered).toEqual([]);
  });

  it('survives connection resets mid-frame and reads on', async () => {
    const { watch, eps } = await setup([{ name: 'a', units: [1, 2] }]);
    let n = 0;
    const from = watch.mark();
    eps.a!.setHook(() => (++n % 3 === 0 ? 'reset-mid-frame' : undefined));
    await waitFor(() => n > 6, 10_000, 'seven requests under resets');
    await periodsPass(watch, 'a-u1', from, 4);
    await periodsPass(watch, 'a-u2', from, 4);
    eps.a!.setHook(undefined);
    const after = watch.mark();
    await periodsPass(watch, 'a-u1', after, 2);
    await periodsPass(watch, 'a-u2', after, 2);
    expect(n).toBeGreaterThan(6);
    // Each reset cost the connection: it was opened again (the retry hides it from the cycles).
    expect(poller!.connectionStats()[0]!.connects).toBeGreaterThan(1);
    expect(watch.misdelivered).toEqual([]);
  });

  it.each([1, 2, 3, 4, 6])('reports exception %i by code and recovers when it stops', async (code) => {
    const { watch, eps } = await setup([
      { name: 'a', units: [1] },
      { name: 'b', units: [1] },
    ]);
    const from = watch.mark();
    eps.a!.setHook(() => code);
    await waitFor(() => watch.failed('a-u1', from) >= 2, 10_000, `two exceptions ${code}`);
    eps.a!.setHook(undefined);
    const back = watch.mark();
    await waitFor(() => watch.firstOkAt('a-u1', back) !== undefined, 10_000, 'a-u1 read again');
    expect(watch.errors('a-u1').some((e) => e.includes(`exception ${code}`))).toBe(true);
    expect(watch.ok('b-u1', back, watch.firstOkAt('a-u1', back))).toBeLessThanOrEqual(TWO_PERIODS_IN_READS);
    expect(watch.failed('b-u1', from)).toBe(0);
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
      const before = watch.mark();
      await waitFor(
        () => served >= 3 && watch.firstOkAt('a-u1', before) !== undefined,
        10_000,
        'a read after bad frames',
      );
    }
    expect(watch.errors('a-u1').length).toBeGreaterThan(0);
    expect(watch.misdelivered).toEqual([]);
  });

  it('never hands a reply with a wrong transaction id to a request (pipelined units)', async () => {
    const { watch, eps } = await setup([{ name: 'a', units: [1, 2, 3, 4, 5, 6] }], 6);
    let n = 0;
    const from = watch.mark();
    eps.a!.setHook(({ transactionId, reply }) => {
      if (++n % 4 !== 0) return undefined;
      const wrong = Buffer.from(reply());
      wrong.writeUInt16BE((transactionId ^ 1) & 0xffff, 0);
      return wrong;
    });
    await waitFor(() => n > 20, 10_000, 'twenty requests with every fourth reply mislabelled');
    for (let unit = 1; unit <= 6; unit++) await periodsPass(watch, `a-u${unit}`, from, 4);
    eps.a!.setHook(undefined);
    const stats = poller!.connectionStats()[0]!;
    expect(stats.strayReplies + stats.mismatchedReplies).toBeGreaterThan(0);
    expect(watch.misdelivered).toEqual([]);
  });

  it('drops late replies that arrive after their request timed out', async () => {
    const { watch, eps } = await setup([{ name: 'a', units: [1, 2, 3] }], 3);
    let n = 0;
    const from = watch.mark();
    eps.a!.setHook(async () => {
      // Every fourth request: with three units the late one rotates among them. 220 ms is past
      // the 150 ms timeout whatever the machine's load, since the timeout starts first.
      if (++n % 4 === 0) await delay(220);
      return undefined;
    });
    const stats = () => poller!.connectionStats()[0]!;
    await waitFor(() => stats().timeouts > 0 && stats().strayReplies > 0, 15_000, 'a late reply dropped');
    for (let unit = 1; unit <= 3; unit++) await periodsPass(watch, `a-u${unit}`, from, 4);
    eps.a!.setHook(undefined);
    expect(
      watch.failed('a-u1', from) + watch.failed('a-u2', from) + watch.failed('a-u3', from),
    ).toBeGreaterThan(0);
    expect(watch.misdelivered).toEqual([]);
  });

  it('survives random bytes on the wire', async () => {
    const { watch, eps } = await setup([
      { name: 'a', units: [1, 2] },
      { name: 'b', units: [1] },
    ]);
    let n = 0;
    const from = watch.mark();
    eps.a!.setHook(() => (++n % 5 === 0 ? crypto.randomBytes(1 + (n % 60)) : undefined));
    const garbled = () => poller!.connectionStats().find((s) => s.endpoint.endsWith(`:${eps.a!.port}`))!;
    await waitFor(() => garbled().garbledStreams > 0 && n >= 25, 15_000, 'garbled streams');
    await periodsPass(watch, 'a-u1', from, 4);
    eps.a!.setHook(undefined);
    const upto = watch.mark();
    // b is on its own endpoint: never failed, and read at least as often as a-u1 in the meantime.
    expect(watch.failed('b-u1', from)).toBe(0);
    expect(watch.ok('b-u1', from, upto)).toBeGreaterThanOrEqual(watch.attempts('a-u1', from, upto) - 1);
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
        await delay(200);
        return undefined;
      }
      return n % 3 === 0 ? faults[n % faults.length]!() : undefined;
    });
    eps.gw!.setHook(({ unitId }) => (unitId === 2 ? 'drop' : undefined));
    const from = watch.mark();
    // Fifteen periods of the good endpoint.
    await periodsPass(watch, 'good-u1', from, 15);
    const upto = watch.mark();
    expect(watch.failed('good-u1', from)).toBe(0);
    // The gateway's live units share their wire with a dead unit at backoff pace: they may lose a
    // period to its timeouts now and then (120 ms of 200), never most of them.
    for (const unit of [1, 3]) {
      expect(watch.failed(`gw-u${unit}`, from, upto)).toBe(0);
      expect(watch.ok(`gw-u${unit}`, from, upto)).toBeGreaterThanOrEqual(10);
    }
    expect(watch.misdelivered).toEqual([]);
    eps.bad!.setHook(undefined);
    eps.gw!.setHook(undefined);
    const back = watch.mark();
    for (let unit = 1; unit <= 4; unit++)
      await waitFor(
        () => watch.firstOkAt(`bad-u${unit}`, back) !== undefined,
        10_000,
        `bad-u${unit} read again`,
      );
    expect(poller!.status().find((d) => d.id === 'good-u1')?.readings.powerKW?.quality).toBe('good');
  });
});
