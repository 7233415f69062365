// Builds the live picture of the site from what the poller last read: PCC, members, branch
// flows (measured at feeder heads, otherwise summed up the radial tree from member meters) and
// the battery pool.
import type { DeviceLive, LiveSnapshot, Quantity, Reading } from '../../shared/api/live.ts';
import type { SiteFile } from '../../shared/site/schema.ts';
import { branchFlows, buildRadialTree, type RadialTree } from '../../shared/site/topology.ts';

const missing = (unit: string, timeMs: number): Reading => ({ value: null, unit, quality: 'bad', timeMs });

export class LiveModel {
  private readonly tree: RadialTree;
  private readonly deviceKind: Map<string, string>;

  constructor(private readonly site: SiteFile) {
    this.tree = buildRadialTree(site.topology).tree;
    this.deviceKind = new Map(site.devices.map((d) => [d.id, d.kind]));
  }

  snapshot(devices: DeviceLive[], timeMs: number): LiveSnapshot {
    const byId = new Map(devices.map((d) => [d.id, d]));
    const reading = (device: string | undefined, quantity: Quantity, unit: string): Reading =>
      (device ? byId.get(device)?.readings[quantity] : undefined) ?? missing(unit, timeMs);

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
    let estimated = false;
    let pvKW = 0;
    let loadKW = 0;
    for (const member of site.members) {
      const r = reading(member.meter, 'powerKW', 'kW');
      // A member metered by its PV inverter exports what the inverter reads.
      const fromInverter = this.deviceKind.get(member.meter) === 'pv-inverter';
      const netKW = r.value === null ? null : fromInverter ? -r.value : r.value;
      members[member.id] = { ...r, value: netKW };
      if (netKW === null || r.quality === 'bad') estimated = true;
      if (fromInverter) pvKW += r.value ?? 0;
      else loadKW += netKW ?? 0;
      injection.set(member.bus, (injection.get(member.bus) ?? 0) - (netKW ?? 0));
    }

    const batteries: LiveSnapshot['batteries'] = {};
    let batteryKW = 0;
    let storedKWh = 0;
    let capacityKWh = 0;
    let socKnown = true;
    for (const id of site.batteryPool?.inverters ?? []) {
      const device = site.devices.find((d) => d.id === id);
      const power = reading(id, 'powerKW', 'kW');
      const soc = reading(id, 'socFraction', '');
      batteries[id] = { powerKW: power, socFraction: soc };
      batteryKW += power.value ?? 0;
      const bus = device?.bus ?? site.topology.root;
      injection.set(bus, (injection.get(bus) ?? 0) + (power.value ?? 0));
      if (soc.value === null) socKnown = false;
      else {
        storedKWh += soc.value * (device?.capacityKWh ?? 0);
        capacityKWh += device?.capacityKWh ?? 0;
      }
    }

    const flows = branchFlows(this.tree, injection);
    const branches: LiveSnapshot['branches'] = {};
    for (const branch of site.topology.branches) {
      const measured = branch.meter ? byId.get(branch.meter)?.readings.powerKW : undefined;
      if (measured && measured.value !== null && measured.quality !== 'bad')
        branches[branch.id] = { ...measured, measured: true };
      else
        branches[branch.id] = {
          value: flows.get(branch.id) ?? 0,
          unit: 'kW',
          quality: estimated ? 'stale' : 'good',
          timeMs,
          measured: false,
        };
    }

    return {
      timeMs,
      pcc,
      totals: {
        pvKW,
        loadKW,
        batteryKW,
        socFraction: socKnown && capacityKWh > 0 ? storedKWh / capacityKWh : null,
        devicesOnline: devices.filter((d) => d.state === 'online').length,
        devicesTotal: devices.length,
      },
      members,
      branches,
      batteries,
      devices,
    };
  }
}
