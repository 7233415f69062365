// Polls every device of a site on its own cadence over shared endpoint connections. Each device
// runs its own loop, so a slow or dead device never delays another's cycle; devices behind one
// RS-485 gateway share a connection that carries one request at a time.
import type { DeviceLive, Quantity, Reading } from '../../shared/api/live.ts';
import { quantityUnits } from '../../shared/api/live.ts';
import type { Device, Endpoint, SiteFile } from '../../shared/site/schema.ts';
import { driverFor, type DeviceDriver } from './device-drivers.ts';
import { ModbusConnection, defaultConnectionOptions } from './modbus-connection.ts';
import type { QuantityValue } from './quantities.ts';

export interface DeviceCycle {
  device: string;
  timeMs: number;
  ok: boolean;
  values: QuantityValue[];
  latencyMs: number;
  error: string | null;
}

interface PolledDevice {
  device: Device;
  connection: ModbusConnection;
  driver: DeviceDriver;
  live: DeviceLive;
  timer: NodeJS.Timeout | null;
}

export interface PollerOptions {
  /** Rewrites a device's endpoint (the in-process simulator listens on free ports). */
  endpointOf?: (device: Device) => Endpoint;
  now?: () => number;
  /** Requests in flight on a direct (non-gateway) connection. */
  directInFlight?: number;
}

export class Poller {
  private readonly devices = new Map<string, PolledDevice>();
  private readonly connections = new Map<string, ModbusConnection>();
  private readonly listeners = new Set<(cycle: DeviceCycle) => void>();
  private running = false;
  private readonly now: () => number;

  constructor(site: SiteFile, options: PollerOptions = {}) {
    this.now = options.now ?? Date.now;
    for (const device of site.devices) {
      const endpoint = options.endpointOf?.(device) ?? device.endpoint;
      const key = `${endpoint.host}:${endpoint.port}`;
      let connection = this.connections.get(key);
      if (!connection) {
        connection = new ModbusConnection(endpoint.host, endpoint.port, {
          ...defaultConnectionOptions,
          maxInFlight: device.gateway ? 1 : (options.directInFlight ?? 4),
          connectTimeoutMs: device.timeoutMs,
        });
        this.connections.set(key, connection);
      }
      this.devices.set(device.id, {
        device: { ...device, endpoint },
        connection,
        driver: driverFor({ ...device, endpoint }),
        live: {
          id: device.id,
          kind: device.kind,
          state: 'connecting',
          lastGoodMs: null,
          latencyMs: null,
          error: null,
          readings: {},
        },
        timer: null,
      });
    }
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
      polled.timer = setTimeout(() => void this.cycle(polled), delay);
    }
  }

  async stop(): Promise<void> {
    this.running = false;
    for (const polled of this.devices.values()) if (polled.timer) clearTimeout(polled.timer);
    await Promise.all([...this.connections.values()].map((c) => c.close()));
  }

  /** The devices as they stand now, with stale values marked. */
  status(): DeviceLive[] {
    const now = this.now();
    return [...this.devices.values()].map(({ device, live }) => {
      const readings: DeviceLive['readings'] = {};
      for (const [quantity, reading] of Object.entries(live.readings) as Array<[Quantity, Reading]>) {
        const stale = reading.quality === 'good' && now - reading.timeMs > 3 * device.pollPeriodMs;
        readings[quantity] = stale ? { ...reading, quality: 'stale' } : reading;
      }
      return { ...live, readings };
    });
  }

  private async cycle(polled: PolledDevice): Promise<void> {
    if (!this.running) return;
    const started = this.now();
    let result: DeviceCycle;
    try {
      const values = await polled.driver.read(polled.connection);
      const timeMs = this.now();
      result = {
        device: polled.device.id,
        timeMs,
        ok: true,
        values,
        latencyMs: timeMs - started,
        error: null,
      };
      polled.live.state = 'online';
      polled.live.lastGoodMs = timeMs;
      polled.live.latencyMs = result.latencyMs;
      polled.live.error = null;
      for (const v of values) {
        polled.live.readings[v.quantity] = {
          value: v.value,
          unit: quantityUnits[v.quantity],
          quality: v.implemented ? 'good' : 'not-implemented',
          timeMs,
        };
      }
    } catch (error) {
      const timeMs = this.now();
      const message = error instanceof Error ? error.message : String(error);
      result = {
        device: polled.device.id,
        timeMs,
        ok: false,
        values: [],
        latencyMs: timeMs - started,
        error: message,
      };
      polled.live.state = 'offline';
      polled.live.error = message;
      for (const reading of Object.values(polled.live.readings)) if (reading) reading.quality = 'bad';
    }
    for (const listener of this.listeners) listener(result);
    if (!this.running) return;
    const period = polled.device.pollPeriodMs;
    // Keep the cadence: the next cycle starts one period after this one started, skipping any missed.
    const elapsed = this.now() - started;
    const wait = period - (elapsed % period);
    polled.timer = setTimeout(() => void this.cycle(polled), wait);
  }
}
