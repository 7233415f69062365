// The change commissioning makes to the site file: a device added (or replaced), and the
// member, branch, PCC or battery pool it is assigned to. A patch on the file's JSON for the site
// store (electron/site/site-store.ts), which validates the whole document, keeps a backup and
// writes it; every problem refuses the change.
import type { Assignment } from '../../shared/api/field-api.ts';
import type { Device } from '../../shared/site/schema.ts';
import type { Problem } from '../../shared/validation/problems.ts';
import type { SitePatch } from '../platform/site-holder.ts';

type Json = Record<string, unknown>;

export interface SaveDeviceRequest {
  device: Device;
  assign?: Assignment;
  /** Replace a device with the same id instead of refusing. */
  replace?: boolean;
}

export function devicePatch(request: SaveDeviceRequest): SitePatch {
  return (doc) => applyDevice(doc, request);
}

function applyDevice(doc: Json, { device, assign, replace }: SaveDeviceRequest): Problem[] {
  const problems: Problem[] = [];
  const devices = Array.isArray(doc.devices) ? (doc.devices as Json[]) : null;
  if (!devices) return [{ path: 'devices', message: 'the site file has no devices list' }];
  const at = devices.findIndex((d) => d.id === device.id);
  if (at >= 0 && !replace)
    problems.push({
      path: `devices[${at}].id`,
      message: `a device '${device.id}' already exists; choose another id or replace it`,
    });
  else if (at >= 0) devices[at] = device as unknown as Json;
  else devices.push(device as unknown as Json);
  if (!assign) return problems;
  const members = Array.isArray(doc.members) ? (doc.members as Json[]) : [];
  const member = (id: string, what: string) => {
    const i = members.findIndex((m) => m.id === id);
    if (i < 0) problems.push({ path: 'members', message: `no member '${id}' to give ${what}` });
    return members[i];
  };
  if (assign.memberMeter) {
    const m = member(assign.memberMeter, 'this meter');
    if (m) m.meter = device.id;
  }
  for (const id of assign.shedRelayFor ?? []) {
    const m = member(id, 'this shed relay');
    if (m) m.shedRelay = device.id;
  }
  if (assign.branchMeter) {
    const topology = doc.topology as Json | undefined;
    const branches = Array.isArray(topology?.branches) ? (topology.branches as Json[]) : [];
    const branch = branches.find((b) => b.id === assign.branchMeter);
    if (!branch) problems.push({ path: 'topology.branches', message: `no branch '${assign.branchMeter}'` });
    else branch.meter = device.id;
  }
  if (assign.pcc) {
    const grid = doc.grid as Json | undefined;
    const pcc = grid?.kind === 'connected' ? (grid.pcc as Json | undefined) : undefined;
    if (!pcc) problems.push({ path: 'grid', message: 'an off-grid site has no PCC to assign' });
    else pcc[assign.pcc] = device.id;
  }
  if (assign.batteryPool) {
    const pool = (doc.batteryPool as Json | undefined) ?? { inverters: [] };
    const inverters = Array.isArray(pool.inverters) ? (pool.inverters as string[]) : [];
    if (!inverters.includes(device.id)) inverters.push(device.id);
    pool.inverters = inverters;
    doc.batteryPool = pool;
  }
  return problems;
}
