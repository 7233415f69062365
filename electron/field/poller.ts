// Polls every device of a site on its own cadence over shared endpoint connections. Each device
// runs its own loop, so a slow or dead device never delays another's cycle; devices behind one
// RS-485 gateway share a connection that carries one request at a time.
//
// Retry rule (what a technician can rely on):
//  - The endpoint: a socket that cannot be opened is retried with exponential backoff from 0.5 s,
//    never further apart than the shortest poll period of its devices while the endpoint answered
//    in the last 10 minutes, and at most 5 minutes apart after that. Devices on an endpoint that
//    is backing off fail at once without touching the network. So a gateway or device that
//    restarts is polled again within two periods of coming back.
//  - A unit that does not answer (timeout, exception, garbage) while its endpoint is reachable:
//    behind a gateway its timeouts occupy the shared wire, so it is tried again after 1, 2, 4, …
//    periods (at most 5 minutes): the live units on that wire keep their cadence. A direct device
//    costs no one else anything, so it keeps its period while it answered in the last 10 minutes.
//  - When a unit behind a gateway answers after every unit there had failed (the RS-485 side
//    came back), or the gateway's socket reopens, every unit's backoff there is reset.
import type { DeviceLive, Quantity, Reading } from '../../shared/api/live.ts';
import { quantityUnits } from '../../shared/api/live.ts';
import { readingNow } from '../../shared/live/reading-quality.ts';
import type { Device, Endpoint, SiteFile } from '../../shared/site/schema.ts';
import { driverFor, unitIo, type DeviceDriver, type DriverReading, type UnitIo } from './device-drivers.ts';
import { isConnectionLevel, MAX_IN_FLIGHT, ModbusConnection } from './modbus-connection.ts';
import type { QuantityValue } from './quantities.ts';

export interface DeviceCycle {
  device: string;
  timeMs: number;
  ok: boolean;
  /** Values read this cycle (never the ones the device refused: those are in `bad`). */
  values: QuantityValue[];
  /** Quantities the device answered for with an error this cycle. */
  bad: Quantity[];
  latencyMs: number;
  error: string | null;
}

export const BACKOFF_MAX_MS = 5 * 60_000;
export const RECENT_WINDOW_MS = 10 * 60_000;

interface PolledDevice {
  device: Device;
  connection: ModbusConnection;
  /** True when other units share this device's wire (an RS-485 gateway). */
  sharedWire: boolean;
  driver: DeviceDriver;
  io: UnitIo;
  live: DeviceLive;
  /** Where the last raw point values are: a reading names its points only when asked. */
  points: Pick<DriverReading, 'points'> | null;
  timer: { kind: 'timeout'; handle: NodeJS.Timeout } | { kind: 'immediate'; handle: NodeJS.Immediate } | null;
  /** What its timer runs: made once, not per cycle. */
  run: () => void;
  running: boolean;
  /** Consecutive cycles in which the unit (not its endpoint) failed. */
  failures: number;
  nextDueMs: number;
  /** Dropped by applySite: a cycle in flight finishes but schedules no other. */
  retired: boolean;
}

export interface PollerOptions {
  /** Rewrites a device's endpoint (the in-process simulator listens on free ports). */
  endpointOf?: (device: Device) => Endpoint;
  now?: () => number;
  /** Requests in flight on a direct (non-gateway) connection, at most 16. */
  directInFlight?: number;
  /** Immediate retries of a request that failed transiently (socket lost, garbled, busy). */
  retries?: number;
}

export class Poller {
  private readonly devices = new Map<string, PolledDevice>();
  private readonly connections = new Map<string, ModbusConnection>();
  private readonly listeners = new Set<(cycle: DeviceCycle) => void>();
  private running = false;
  private readonly now: () => number;

  constructor(
    site: SiteFile,
    private readonly options: PollerOptions = {},
  ) {
    this.now = options.now ?? Date.now;
    this.addDevices(site.devices);
  }

  /**
   * Follows a saved site file without a restart: a device that is new or whose entry changed is
   * (re)built and, while the poller runs, polled at once; a device the site no longer lists stops,
   * and a connection no device uses any more is closed. Unchanged devices keep their cadence. A
   * device added to an endpoint already open shares that connection as it was set up.
   */
  applySite(site: SiteFile): void {
    const wanted = new Map(site.devices.map((d) => [d.id, d]));
    for (const [id, polled] of this.devices) {
      const next = wanted.get(id);
      const served = next && { ...next, endpoint: this.options.endpointOf?.(next) ?? next.endpoint };
      if (served && JSON.stringify(served) === JSON.stringify(polled.device)) {
        wanted.delete(id);
        continue;
      }
      polled.retired = true;
      cancel(polled);
      this.devices.delete(id);
    }
    const added = this.addDevices([...wanted.values()]);
    const used = new Set([...this.devices.values()].map((d) => d.connection));
    for (const [key, connection] of this.connections)
      if (!used.has(connection)) {
        this.connections.delete(key);
        void connection.close();
      }
    if (this.running) for (const polled of added) this.schedule(polled, 0);
  }

  private addDevices(siteDevices: readonly Device[]): PolledDevice[] {
    const options = this.options;
    const added: PolledDevice[] = [];
    const byEndpoint = new Map<string, Device[]>();
    for (const device of siteDevices) {
      const endpoint = options.endpointOf?.(device) ?? device.endpoint;
      const key = `${endpoint.host}:${endpoint.port}`;
      byEndpoint.set(key, [...(byEndpoint.get(key) ?? []), { ...device, endpoint }]);
    }
    for (const [key, devices] of byEndpoint) {
      const first = devices[0] as Device;
      const open = this.connections.get(key);
      // A gateway's units share one RS-485 wire: one request at a time. Several units on a direct
      // TCP endpoint (an embedded server) may have requests in flight together.
      const sharedWire =
        devices.some((d) => d.gateway !== undefined) ||
        [...this.devices.values()].some((d) => d.connection === open && d.sharedWire);
      const connection =
        open ??
        new ModbusConnection(
          first.endpoint.host,
          first.endpoint.port,
          {
            maxInFlight: sharedWire ? 1 : Math.min(MAX_IN_FLIGHT, options.directInFlight ?? 4),
            connectTimeoutMs: Math.max(...devices.map((d) => d.timeoutMs)),
            recentBackoffCapMs: Math.min(...devices.map((d) => d.pollPeriodMs)),
            backoffMaxMs: BACKOFF_MAX_MS,
            recentWindowMs: RECENT_WINDOW_MS,
            retries: options.retries ?? 1,
          },
          this.now,
        );
      if (!open) {
        this.connections.set(key, connection);
        connection.onUp(() => this.resetBackoff(connection));
      }
      for (const device of devices) {
        const polled: PolledDevice = {
          device,
          connection,
          sharedWire,
          driver: driverFor(device),
          io: unitIo(connection, device.endpoint.unitId, device.timeoutMs),
          live: {
            id: device.id,
            kind: device.kind,
            state: 'connecting',
            lastGoodMs: null,
            latencyMs: null,
            error: null,
            readings: {},
          },
          points: null,
          timer: null,
          running: false,
          failures: 0,
          nextDueMs: 0,
          retired: false,
          run: () => {
            polled.timer = null;
            void this.cycle(polled);
          },
        };
        this.devices.set(device.id, polled);
        added.push(polled);
      }
    }
    return added;
  }

  onCycle(listener: (cycle: DeviceCycle) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    let i = 0;
    for (const polled of this.devices.values()) {
      // Spread the first reads over the first period so 50 devices do not all fire at once.
      const delay = ((i++ * 37) % polled.device.pollPeriodMs) / 4;
      this.schedule(polled, delay);
    }
  }

  async stop(): Promise<void> {
    this.running = false;
    for (const polled of this.devices.values()) cancel(polled);
    await Promise.all([...this.connections.values()].map((c) => c.close()));
  }

  /** The devices as they stand now, each reading's quality aged by the one quality policy. */
  status(): DeviceLive[] {
    const now = this.now();
    return [...this.devices.values()].map(({ device, live }) => {
      const readings: DeviceLive['readings'] = {};
      for (const [quantity, reading] of Object.entries(live.readings) as Array<[Quantity, Reading]>)
        readings[quantity] = readingNow(reading, device.pollPeriodMs, now);
      return { ...live, readings };
    });
  }

  /** The device as the site file describes it (endpoint as actually served), or undefined. */
  device(id: string): Device | undefined {
    return this.devices.get(id)?.device;
  }

  /** What the command path needs to talk to a device over the poller's own connection. */
  target(id: string): { device: Device; io: UnitIo; driver: DeviceDriver; live: DeviceLive } | undefined {
    const polled = this.devices.get(id);
    return polled && { device: polled.device, io: polled.io, driver: polled.driver, live: polled.live };
  }

  /** Last raw values of a custom-map device's points, by point name. */
  points(id: string): Readonly<Record<string, number>> {
    return this.devices.get(id)?.points?.points ?? {};
  }

  /** Polls a device now (after a write), keeping its cadence from then on. */
  pollNow(id: string): void {
    const polled = this.devices.get(id);
    if (!polled || !this.running || polled.running) return;
    polled.failures = 0;
    cancel(polled);
    // Started here rather than through a timer: its request is on the wire before this returns.
    void this.cycle(polled);
  }

  connectionStats(): Array<{ endpoint: string } & ModbusConnection['stats']> {
    return [...this.connections.entries()].map(([endpoint, c]) => ({ endpoint, ...c.stats }));
  }

  private schedule(polled: PolledDevice, delayMs: number): void {
    cancel(polled);
    polled.nextDueMs = this.now() + delayMs;
    // A zero-delay timer still waits a millisecond: a poll due now (after a write) goes at once.
    polled.timer =
      delayMs > 0
        ? { kind: 'timeout', handle: setTimeout(polled.run, delayMs) }
        : { kind: 'immediate', handle: setImmediate(polled.run) };
  }

  private resetBackoff(connection: ModbusConnection): void {
    if (!this.running) return;
    const period = Math.min(...[...this.devices.values()].map((d) => d.device.pollPeriodMs));
    let i = 0;
    for (const polled of this.devices.values()) {
      if (polled.connection !== connection || polled.failures === 0 || polled.running) continue;
      polled.failures = 0;
      // Spread over a period so a wire full of returning units does not burst.
      const at = Math.min(polled.nextDueMs - this.now(), ((i++ * 53) % period) / 2);
      this.schedule(polled, Math.max(0, at));
    }
  }

  private async cycle(polled: PolledDevice): Promise<void> {
    if (!this.running || polled.running || polled.retired) return;
    polled.running = true;
    const started = this.now();
    let result: DeviceCycle;
    let unitFailed = false;
    try {
      const reading = await polled.driver.read(polled.io);
      const timeMs = this.now();
      let good = reading.values;
      const bad: Quantity[] = [];
      if (good.some((v) => v.bad)) {
        good = good.filter((v) => !v.bad);
        for (const v of reading.values) if (v.bad) bad.push(v.quantity);
      }
      result = {
        device: polled.device.id,
        timeMs,
        ok: true,
        values: good,
        bad,
        latencyMs: timeMs - started,
        error: reading.problems.length > 0 ? reading.problems.join('; ') : null,
      };
      const wireWasDead =
        polled.sharedWire &&
        [...this.devices.values()].every((d) => d.connection !== polled.connection || d.failures > 0);
      polled.failures = 0;
      polled.live.state = 'online';
      polled.live.lastGoodMs = timeMs;
      polled.live.latencyMs = result.latencyMs;
      polled.live.error = result.error;
      // Points of a block the device refused keep their last values.
      polled.points =
        reading.problems.length === 0 ? reading : { points: { ...polled.points?.points, ...reading.points } };
      for (const v of good) {
        polled.live.readings[v.quantity] = {
          value: v.value,
          unit: quantityUnits[v.quantity],
          quality: v.implemented ? 'good' : 'not-implemented',
          timeMs,
        };
      }
      for (const quantity of bad) {
        const previous = polled.live.readings[quantity];
        polled.live.readings[quantity] = {
          value: previous?.value ?? null,
          unit: quantityUnits[quantity],
          quality: 'bad',
          timeMs: previous?.timeMs ?? timeMs,
        };
      }
      if (wireWasDead) this.resetBackoff(polled.connection);
    } catch (error) {
      const timeMs = this.now();
      const message = error instanceof Error ? error.message : String(error);
      unitFailed = !isConnectionLevel(error);
      result = {
        device: polled.device.id,
        timeMs,
        ok: false,
        values: [],
        bad: Object.keys(polled.live.readings) as Quantity[],
        latencyMs: timeMs - started,
        error: message,
      };
      if (unitFailed) polled.failures++;
      polled.live.state = 'offline';
      polled.live.error = message;
      for (const reading of Object.values(polled.live.readings)) if (reading) reading.quality = 'bad';
    }
    polled.running = false;
    // Scheduled before the listeners hear of it, so one that calls pollNow is not overridden.
    if (this.running && !polled.retired) this.schedule(polled, this.nextDelay(polled, started, unitFailed));
    for (const listener of this.listeners) {
      try {
        listener(result);
      } catch {
        // A listener's failure is its own; the poll loop goes on.
      }
    }
  }

  private nextDelay(polled: PolledDevice, started: number, unitFailed: boolean): number {
    const period = polled.device.pollPeriodMs;
    const elapsed = this.now() - started;
    // Keep the cadence: the next cycle starts one period after this one started, skipping any missed.
    const onCadence = period - (elapsed % period);
    if (!unitFailed || polled.failures === 0) return onCadence;
    const recentlyGood =
      polled.live.lastGoodMs !== null && this.now() - polled.live.lastGoodMs < RECENT_WINDOW_MS;
    if (!polled.sharedWire && recentlyGood) return onCadence;
    const backoff = Math.min(BACKOFF_MAX_MS, period * 2 ** (polled.failures - 1));
    return Math.max(onCadence, backoff - elapsed);
  }
}

function cancel(polled: PolledDevice): void {
  const timer = polled.timer;
  polled.timer = null;
  if (timer?.kind === 'timeout') clearTimeout(timer.handle);
  else if (timer?.kind === 'immediate') clearImmediate(timer.handle);
}
