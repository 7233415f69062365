// A whole simulated site: the physics, stepped in real time (or on demand), and one Modbus/TCP
// server per endpoint of the site file — a gateway's port answers for all its unit ids.
//
// The first RS-485 gateway also answers for one unit the site file does not list: a SunSpec member
// meter (models 1 + 203) at unit SPARE_UNIT_ID when no device uses it, a new connection waiting to
// be commissioned, so a scan of that gateway in the Commissioning view finds a unit tagged *new*.
// It is served only: the poller reads the site file's devices, so it counts in no total.
import type { Device, Endpoint, SiteFile } from '../../shared/site/schema.ts';
import { simulatedDevice, spareMeterDevice, type SimulatedDevice, type SpareUnit } from './device-images.ts';
import { ModbusTcpServer, type RegisterBank } from './modbus-server.ts';
import { RangeAlarms } from './range-clamp.ts';
import { SitePhysics, type PhysicsOptions } from './site-physics.ts';

export interface SimulatorOptions extends PhysicsOptions {
  /** Listen on free ports chosen by the OS instead of the site file's (in-process use, tests). */
  ephemeralPorts?: boolean;
  /** Added to every port of the site file (several simulators on one machine). */
  portOffset?: number;
  startMs?: number;
  /** Step the physics once a second against the wall clock. */
  realTime?: boolean;
}

/** Where the spare meter is served on the first gateway, unless a device of the site is there. */
export const SPARE_UNIT_ID = 200;

export interface SpareUnitView {
  gateway: string;
  /** Where it is really served (the gateway's port may be ephemeral or offset). */
  host: string;
  port: number;
  unitId: number;
  serial: string;
}

export class SiteSimulator {
  readonly physics: SitePhysics;
  /** Values clamped to their registers' range (see range-clamp.ts): the simulator never stops on one. */
  readonly rangeAlarms = new RangeAlarms();
  private readonly servers = new Map<string, ModbusTcpServer>();
  private readonly simulated: Array<SimulatedDevice | SpareUnit> = [];
  private readonly spares: SpareUnitView[] = [];
  private readonly endpoints = new Map<string, Endpoint>();
  /** The port each endpoint of the site file is really served on. */
  private readonly ports = new Map<string, number>();
  private timer: NodeJS.Timeout | null = null;
  private lastStepMs = 0;

  private constructor(
    readonly site: SiteFile,
    private readonly options: SimulatorOptions,
  ) {
    this.physics = new SitePhysics(site, options.startMs ?? Date.now(), options);
  }

  static async start(site: SiteFile, options: SimulatorOptions = {}): Promise<SiteSimulator> {
    const sim = new SiteSimulator(site, options);
    await sim.listen();
    if (options.realTime ?? true) sim.run();
    return sim;
  }

  /**
   * Where a device of the site file is really served. A device commissioned after the start (not
   * in the site the simulator was built from) is served where its endpoint's server listens.
   */
  endpointOf(device: Device): Endpoint {
    const known = this.endpoints.get(device.id);
    if (known) return known;
    const port = this.ports.get(`${device.endpoint.host}:${device.endpoint.port}`);
    return port === undefined ? device.endpoint : { ...device.endpoint, port };
  }

  /** Units served that are not in the site file (see the module comment). */
  spareUnits(): readonly SpareUnitView[] {
    return this.spares;
  }

  /** Advances the physics and refreshes every device's registers. */
  step(dtSeconds: number): void {
    this.physics.step(dtSeconds);
    for (const device of this.simulated) device.refresh();
  }

  serverFor(device: Device): ModbusTcpServer | undefined {
    const e = device.endpoint;
    return this.servers.get(`${e.host}:${e.port}`);
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await Promise.all([...this.servers.values()].map((s) => s.close()));
  }

  private run(): void {
    this.lastStepMs = Date.now();
    this.timer = setInterval(() => {
      const now = Date.now();
      this.step((now - this.lastStepMs) / 1000);
      this.lastStepMs = now;
    }, 1000);
  }

  private async listen(): Promise<void> {
    const byEndpoint = new Map<
      string,
      { host: string; port: number; units: Map<number, RegisterBank>; devices: Device[] }
    >();
    for (const device of this.site.devices) {
      const { host, port, unitId } = device.endpoint;
      const key = `${host}:${port}`;
      let group = byEndpoint.get(key);
      if (!group) {
        group = { host, port, units: new Map(), devices: [] };
        byEndpoint.set(key, group);
      }
      const sim = simulatedDevice(device, this.site, this.physics, this.rangeAlarms);
      this.simulated.push(sim);
      group.units.set(unitId, sim.bank);
      group.devices.push(device);
    }
    const gateway = this.site.gateways[0];
    const spareGroup = gateway ? byEndpoint.get(`${gateway.host}:${gateway.port}`) : undefined;
    let spare: SpareUnit | null = null;
    // Once a site file lists a device at that unit the spare has been commissioned: the unit is then
    // served as that device, and no other spare appears in its place.
    if (gateway && spareGroup && !spareGroup.units.has(SPARE_UNIT_ID)) {
      spare = spareMeterDevice(this.site, this.physics, SPARE_UNIT_ID, this.rangeAlarms);
      this.simulated.push(spare);
      spareGroup.units.set(SPARE_UNIT_ID, spare.bank);
    }
    try {
      for (const [key, group] of byEndpoint) {
        const port = this.options.ephemeralPorts ? 0 : group.port + (this.options.portOffset ?? 0);
        const server = new ModbusTcpServer({ host: group.host, port, units: group.units });
        const actual = await server.listen().catch((error: NodeJS.ErrnoException) => {
          throw new Error(
            error.code === 'EADDRINUSE'
              ? `port ${group.host}:${port} is already in use (another simulator running? try --port-offset)`
              : `cannot listen on ${group.host}:${port}: ${error.message}`,
          );
        });
        this.servers.set(key, server);
        this.ports.set(key, actual);
        for (const device of group.devices)
          this.endpoints.set(device.id, { ...device.endpoint, port: actual });
        if (spare && gateway && group === spareGroup)
          this.spares.push({
            gateway: gateway.id,
            host: group.host,
            port: actual,
            unitId: spare.unitId,
            serial: spare.serial,
          });
      }
    } catch (error) {
      await Promise.all([...this.servers.values()].map((s) => s.close()));
      throw error;
    }
  }
}
