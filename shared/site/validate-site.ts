// Loads a site document: shape by zod, then every cross-reference and the radial topology,
// each problem as `json.path: message` so a technician can fix the file in one pass.
import type { z } from 'zod';
import { pathToString, type Checked, type Problem } from '../validation/problems.ts';
import { siteFileSchema, type DeviceKind, type SiteFile } from './schema.ts';
import { buildRadialTree } from './topology.ts';
import { marketSettingsFindings } from '../market/site-settings.ts';

export function validateSite(input: unknown): Checked<SiteFile> {
  const shaped = checkShape(input);
  if (!shaped.ok) {
    // Report reference and topology problems too where the document is whole enough to check,
    // so one run of `validate` lists everything to fix.
    let more: Problem[] = [];
    try {
      more = crossCheck(input as SiteFile);
    } catch {
      // Too malformed to cross-check; the shape problems say what to fix first.
    }
    const seen = new Set(shaped.problems.map((p) => p.path));
    return { ok: false, problems: [...shaped.problems, ...more.filter((p) => !seen.has(p.path))] };
  }
  // Member ids in the market block (standing orders, preferences, fixed-rate designations).
  const problems = [...crossCheck(shaped.value), ...marketSettingsFindings(shaped.value).problems];
  return problems.length > 0 ? { ok: false, problems } : shaped;
}

/**
 * Shape by zod, with each unknown key reported at its own path (`members[3].shedRelais`) rather
 * than at the object that holds it, so the message points at the line to fix.
 */
function checkShape(input: unknown): Checked<SiteFile> {
  const result = siteFileSchema.safeParse(input);
  if (result.success) return { ok: true, value: result.data };
  return { ok: false, problems: result.error.issues.flatMap(problemsOfIssue) };
}

function problemsOfIssue(issue: z.core.$ZodIssue): Problem[] {
  if (issue.code !== 'unrecognized_keys') return [{ path: pathToString(issue.path), message: issue.message }];
  return issue.keys.map((key) => ({
    path: pathToString([...issue.path, key]),
    message: `unknown key '${key}': not part of the site format (a misspelt key?)`,
  }));
}

function duplicates<T extends { id: string }>(items: readonly T[], path: string, problems: Problem[]): void {
  const first = new Map<string, number>();
  items.forEach((item, i) => {
    const earlier = first.get(item.id);
    if (earlier === undefined) first.set(item.id, i);
    else
      problems.push({
        path: `${path}[${i}].id`,
        message: `duplicate id '${item.id}' (also ${path}[${earlier}])`,
      });
  });
}

function crossCheck(site: SiteFile): Problem[] {
  const problems: Problem[] = [];
  const { topology } = site;
  duplicates(topology.buses, 'topology.buses', problems);
  duplicates(topology.branches, 'topology.branches', problems);
  duplicates(site.devices, 'devices', problems);
  duplicates(site.members, 'members', problems);
  duplicates(site.gateways, 'gateways', problems);

  const buses = new Set(topology.buses.map((b) => b.id));
  const devices = new Map(site.devices.map((d) => [d.id, d]));
  const gateways = new Map(site.gateways.map((g) => [g.id, g]));

  const needBus = (bus: string, path: string) => {
    if (!buses.has(bus)) problems.push({ path, message: `unknown bus '${bus}'` });
  };
  const needDevice = (ref: string, path: string, kinds: readonly DeviceKind[]) => {
    const device = devices.get(ref);
    if (!device) problems.push({ path, message: `unknown device '${ref}'` });
    else if (!kinds.includes(device.kind))
      problems.push({ path, message: `device '${ref}' is a ${device.kind}, expected ${kinds.join(' or ')}` });
  };

  if (!buses.has(topology.root))
    problems.push({ path: 'topology.root', message: `unknown bus '${topology.root}'` });
  const { problems: treeProblems } = buildRadialTree(topology);
  for (const p of treeProblems) {
    switch (p.kind) {
      case 'unknown-bus':
        problems.push({
          path: `topology.branches[${p.branchIndex}].${p.end}`,
          message: `unknown bus '${p.bus}'`,
        });
        break;
      case 'second-parent':
        problems.push({
          path: `topology.branches[${p.branchIndex}].to`,
          message: `bus '${p.bus}' already has a parent branch: a radial network has one path to the root (loop)`,
        });
        break;
      case 'loop':
        problems.push({
          path: p.branchIndex >= 0 ? `topology.branches[${p.branchIndex}]` : 'topology.branches',
          message: `loop through bus '${p.bus}': a radial network has no loops`,
        });
        break;
      case 'unreachable':
        problems.push({
          path: `topology.buses[${topology.buses.findIndex((b) => b.id === p.bus)}]`,
          message: `bus '${p.bus}' is not connected to the root '${topology.root}' (island)`,
        });
        break;
    }
  }
  topology.branches.forEach((branch, i) => {
    if (branch.meter) needDevice(branch.meter, `topology.branches[${i}].meter`, ['feeder-meter']);
  });

  if (site.grid.kind === 'connected') {
    const { pcc } = site.grid;
    needBus(pcc.bus, 'grid.pcc.bus');
    if (pcc.bus !== topology.root)
      problems.push({
        path: 'grid.pcc.bus',
        message: `the PCC must be the topology root '${topology.root}'`,
      });
    needDevice(pcc.meter, 'grid.pcc.meter', ['pcc-meter']);
    needDevice(pcc.breaker, 'grid.pcc.breaker', ['pcc-breaker']);
  }

  const endpoints = new Map<string, number>();
  site.devices.forEach((device, i) => {
    const key = `${device.endpoint.host}:${device.endpoint.port}#${device.endpoint.unitId}`;
    const earlier = endpoints.get(key);
    if (earlier !== undefined)
      problems.push({
        path: `devices[${i}].endpoint`,
        message: `endpoint ${key} is already used by devices[${earlier}] ('${site.devices[earlier]?.id}')`,
      });
    else endpoints.set(key, i);
    if (device.bus) needBus(device.bus, `devices[${i}].bus`);
    if (device.gateway) {
      const gateway = gateways.get(device.gateway);
      if (!gateway)
        problems.push({ path: `devices[${i}].gateway`, message: `unknown gateway '${device.gateway}'` });
      else if (gateway.host !== device.endpoint.host || gateway.port !== device.endpoint.port)
        problems.push({
          path: `devices[${i}].endpoint`,
          message: `must be the gateway's address ${gateway.host}:${gateway.port}`,
        });
    }
    if (device.kind === 'battery-inverter') {
      if (device.ratedKW === undefined)
        problems.push({ path: `devices[${i}].ratedKW`, message: 'a battery inverter needs ratedKW' });
      if (device.capacityKWh === undefined)
        problems.push({ path: `devices[${i}].capacityKWh`, message: 'a battery inverter needs capacityKWh' });
    }
  });

  let shareTotal = 0;
  site.members.forEach((member, i) => {
    needBus(member.bus, `members[${i}].bus`);
    needDevice(member.meter, `members[${i}].meter`, ['member-meter', 'pv-inverter']);
    if (member.shedRelay) needDevice(member.shedRelay, `members[${i}].shedRelay`, ['shed-relay']);
    shareTotal += member.poolSharePct;
  });
  if (shareTotal > 100 + 1e-9)
    problems.push({
      path: 'members',
      message: `battery-pool shares add up to ${shareTotal.toFixed(2)} %, more than 100 %`,
    });

  site.batteryPool?.inverters.forEach((ref, i) =>
    needDevice(ref, `batteryPool.inverters[${i}]`, ['battery-inverter']),
  );

  problems.push(...tariffCoverage(site));
  return problems;
}

function minutesOf(clock: string): number {
  const [h, m] = clock.split(':').map(Number);
  return (h ?? 0) * 60 + (m ?? 0);
}

/** Time-of-use periods must cover each minute of the day exactly once (`to` may wrap midnight). */
function tariffCoverage(site: SiteFile): Problem[] {
  const covered = new Uint8Array(24 * 60);
  const problems: Problem[] = [];
  site.tariff.periods.forEach((period, i) => {
    const from = minutesOf(period.from);
    const to = minutesOf(period.to);
    const length = (to - from + 1440) % 1440 || 1440;
    let overlapAt = -1;
    for (let k = 0; k < length; k++) {
      const minute = (from + k) % 1440;
      if (covered[minute] && overlapAt < 0) overlapAt = minute;
      covered[minute] = 1;
    }
    if (overlapAt >= 0)
      problems.push({
        path: `tariff.periods[${i}]`,
        message: `overlaps another period at ${clockOf(overlapAt)}`,
      });
  });
  const gap = covered.indexOf(0);
  if (gap >= 0) problems.push({ path: 'tariff.periods', message: `no tariff period covers ${clockOf(gap)}` });
  return problems;
}

function clockOf(minute: number): string {
  return `${String(Math.floor(minute / 60)).padStart(2, '0')}:${String(minute % 60).padStart(2, '0')}`;
}

/** The tariff period in force at `minuteOfDay` (site local time). */
export function tariffAt(site: SiteFile, minuteOfDay: number) {
  for (const period of site.tariff.periods) {
    const from = minutesOf(period.from);
    const to = minutesOf(period.to);
    const length = (to - from + 1440) % 1440 || 1440;
    if ((minuteOfDay - from + 1440) % 1440 < length) return period;
  }
  return site.tariff.periods[0];
}
