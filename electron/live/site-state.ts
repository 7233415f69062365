// The live state of the site, built once per poller cycle from what the devices last answered,
// under the one quality policy (shared/live/reading-quality.ts): PCC, members, branch flows
// (measured at feeder heads, otherwise summed up the radial tree from member meters), the
// battery pool and the totals, each sum saying whether it is complete. The snapshot viewers get,
// the controller's measurements, the market preview and settlement's live inputs are all read
// from this state and from nothing else.
import type { DeviceLive, LiveSnapshot, Quantity, Reading, SumKW } from '../../shared/api/live.ts';
import { deviceAnswering, knownValue, readingNow } from '../../shared/live/reading-quality.ts';
import type { SiteFile } from '../../shared/site/schema.ts';
import { branchFlows, buildRadialTree, type RadialTree } from '../../shared/site/topology.ts';
import type { EpochMs } from '../../shared/units.ts';

/** What the site state is built from: the poller's devices, and word of each completed cycle. */
export interface DeviceSource {
  status(): DeviceLive[];
  onCycle(listener: () => void): () => void;
}

/** States asked for within this long of each other, with no cycle between, are one state. */
const REUSE_MS = 100;

const unknown = (unit: string, timeMs: EpochMs): Reading => ({ value: null, unit, quality: 'bad', timeMs });

/** A reading as the derived figures carry it: its value only when it counts. */
const counted = (r: Reading): Reading =>
  knownValue(r) === null && r.value !== null ? { ...r, value: null } : r;

class Sum {
  private valueKW = 0;
  private readonly missing: string[] = [];

  add(id: string, valueKW: number | null): void {
    if (valueKW === null) this.missing.push(id);
    else this.valueKW += valueKW;
  }

  result(): SumKW {
    return { valueKW: this.valueKW, complete: this.missing.length === 0, missing: this.missing };
  }
}

export class SiteStateBuilder {
  private readonly tree: RadialTree;
  private readonly periodMs: Map<string, number>;
  private readonly kind: Map<string, string>;
  /** Members and pool inverters below each branch, whose readings its summed flow needs. */
  private readonly below = new Map<string, string[]>();

  constructor(private readonly site: SiteFile) {
    this.tree = buildRadialTree(site.topology).tree;
    this.periodMs = new Map(site.devices.map((d) => [d.id, d.pollPeriodMs]));
    this.kind = new Map(site.devices.map((d) => [d.id, d.kind]));
    const atBus = new Map<string, string[]>();
    const put = (bus: string, id: string) => atBus.set(bus, [...(atBus.get(bus) ?? []), id]);
    for (const m of site.members) put(m.bus, m.id);
    for (const id of site.batteryPool?.inverters ?? [])
      put(site.devices.find((d) => d.id === id)?.bus ?? site.topology.root, id);
    const subtree = new Map<string, string[]>();
    for (let i = this.tree.order.length - 1; i >= 0; i--) {
      const bus = this.tree.order[i] as string;
      const ids = [...(atBus.get(bus) ?? [])];
      for (const child of this.tree.children.get(bus) ?? []) ids.push(...(subtree.get(child) ?? []));
      subtree.set(bus, ids);
      const branch = this.tree.parentBranch.get(bus);
      if (branch) this.below.set(branch.id, ids);
    }
  }

  build(polled: readonly DeviceLive[], timeMs: EpochMs): LiveSnapshot {
    const devices = polled.map((d) => this.aged(d, timeMs));
    const byId = new Map(devices.map((d) => [d.id, d]));
    const reading = (device: string | undefined, quantity: Quantity, unit: string): Reading => {
      const r = device === undefined ? undefined : byId.get(device)?.readings[quantity];
      return r ? counted(r) : unknown(unit, timeMs);
    };

    const site = this.site;
    const pcc =
      site.grid.kind === 'connected'
        ? {
            powerKW: reading(site.grid.pcc.meter, 'powerKW', 'kW'),
            voltageV: reading(site.grid.pcc.meter, 'voltageV', 'V'),
            frequencyHz: reading(site.grid.pcc.meter, 'frequencyHz', 'Hz'),
            breakerClosed: reading(site.grid.pcc.breaker, 'breakerClosed', ''),
          }
        : null;

    const members: Record<string, Reading> = {};
    const injection = new Map<string, number>();
    /** Member and inverter ids whose power does not count now. */
    const unknownIds = new Set<string>();
    const pv = new Sum();
    const load = new Sum();
    for (const member of site.members) {
      const r = reading(member.meter, 'powerKW', 'kW');
      // A member metered by its PV inverter exports what the inverter reads.
      const fromInverter = this.kind.get(member.meter) === 'pv-inverter';
      const netKW = r.value === null ? null : fromInverter ? -r.value : r.value;
      members[member.id] = { ...r, value: netKW };
      if (fromInverter) pv.add(member.id, r.value);
      else load.add(member.id, netKW);
      if (netKW === null) unknownIds.add(member.id);
      else injection.set(member.bus, (injection.get(member.bus) ?? 0) - netKW);
    }

    const batteries: LiveSnapshot['batteries'] = {};
    const battery = new Sum();
    const socMissing: string[] = [];
    let storedKWh = 0;
    let capacityKWh = 0;
    for (const id of site.batteryPool?.inverters ?? []) {
      const device = site.devices.find((d) => d.id === id);
      const power = reading(id, 'powerKW', 'kW');
      const soc = reading(id, 'socFraction', '');
      batteries[id] = { powerKW: power, socFraction: soc };
      battery.add(id, power.value);
      if (power.value === null) unknownIds.add(id);
      else {
        const bus = device?.bus ?? site.topology.root;
        injection.set(bus, (injection.get(bus) ?? 0) + power.value);
      }
      if (soc.value === null) socMissing.push(id);
      else {
        storedKWh += soc.value * (device?.capacityKWh ?? 0);
        capacityKWh += device?.capacityKWh ?? 0;
      }
    }

    const flows = branchFlows(this.tree, injection);
    const branches: LiveSnapshot['branches'] = {};
    for (const branch of site.topology.branches) {
      const measured = branch.meter ? reading(branch.meter, 'powerKW', 'kW') : undefined;
      if (measured && measured.value !== null) {
        branches[branch.id] = { ...measured, measured: true, missing: [] };
        continue;
      }
      const missing = (this.below.get(branch.id) ?? []).filter((id) => unknownIds.has(id));
      branches[branch.id] = {
        value: flows.get(branch.id) ?? 0,
        unit: 'kW',
        quality: missing.length === 0 ? 'good' : 'stale',
        timeMs,
        measured: false,
        missing,
      };
    }

    return {
      timeMs,
      pcc,
      totals: {
        pv: pv.result(),
        load: load.result(),
        battery: battery.result(),
        socFraction: socMissing.length === 0 && capacityKWh > 0 ? storedKWh / capacityKWh : null,
        socMissing,
        devicesOnline: devices.filter((d) => deviceAnswering(d, this.period(d.id), timeMs)).length,
        devicesTotal: devices.length,
      },
      members,
      branches,
      batteries,
      devices,
    };
  }

  private period(id: string): number {
    return this.periodMs.get(id) ?? 1000;
  }

  /** The device with each reading's quality as of `timeMs`. */
  private aged(device: DeviceLive, timeMs: EpochMs): DeviceLive {
    const period = this.period(device.id);
    let readings: DeviceLive['readings'] | null = null;
    for (const [quantity, r] of Object.entries(device.readings) as Array<[Quantity, Reading]>) {
      const now = readingNow(r, period, timeMs);
      if (now !== r) (readings ??= { ...device.readings })[quantity] = now;
    }
    return readings ? { ...device, readings } : device;
  }
}

/**
 * The site state as of now: rebuilt when a device cycle has completed since the last build (or
 * time has moved on, so that readings age), and otherwise the same state for every reader.
 */
export class LiveSite {
  private readonly builder: SiteStateBuilder;
  private latest: LiveSnapshot | null = null;
  private dirty = true;
  private readonly unsubscribe: () => void;

  constructor(
    site: SiteFile,
    private readonly source: DeviceSource,
    private readonly now: () => EpochMs = Date.now,
  ) {
    this.builder = new SiteStateBuilder(site);
    this.unsubscribe = source.onCycle(() => {
      this.dirty = true;
    });
  }

  current(): LiveSnapshot {
    const now = this.now();
    if (this.latest && !this.dirty && now - this.latest.timeMs < REUSE_MS && now >= this.latest.timeMs)
      return this.latest;
    this.dirty = false;
    this.latest = this.builder.build(this.source.status(), now);
    return this.latest;
  }

  close(): void {
    this.unsubscribe();
  }
}
