// Saves a commissioned device into the site file: the change is made on the file's JSON as it
// is on disk, the whole document is validated as `commonwatt validate` would, and only a valid
// document is written — to a temporary file that is synced and renamed over the original, after
// the original is kept as FILE.bak. An invalid result is refused with every problem listed.
import fs from 'node:fs';
import path from 'node:path';
import type { Assignment, SaveDeviceResult } from '../../shared/api/field-api.ts';
import type { Device } from '../../shared/site/schema.ts';
import { validateSite } from '../../shared/site/validate-site.ts';
import type { Problem } from '../../shared/validation/problems.ts';

type Json = Record<string, unknown>;

export interface SaveDeviceRequest {
  device: Device;
  assign?: Assignment;
  /** Replace a device with the same id instead of refusing. */
  replace?: boolean;
}

export function saveDeviceToSiteFile(file: string, request: SaveDeviceRequest): SaveDeviceResult {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    return {
      ok: false,
      problems: [{ path: '', message: `cannot read ${file}: ${(error as Error).message}` }],
    };
  }
  let doc: Json;
  try {
    doc = JSON.parse(text) as Json;
  } catch (error) {
    return {
      ok: false,
      problems: [{ path: '', message: `${file} is not JSON: ${(error as Error).message}` }],
    };
  }
  const problems = applyDevice(doc, request);
  if (problems.length > 0) return { ok: false, problems };
  const checked = validateSite(doc);
  if (!checked.ok) return { ok: false, problems: checked.problems };
  const backup = `${file}.bak`;
  const temp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.tmp`);
  try {
    fs.copyFileSync(file, backup);
    const fd = fs.openSync(temp, 'w');
    try {
      fs.writeSync(fd, `${JSON.stringify(doc, null, 2)}\n`);
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(temp, file);
  } catch (error) {
    fs.rmSync(temp, { force: true });
    return {
      ok: false,
      problems: [{ path: '', message: `cannot write ${file}: ${(error as Error).message}` }],
    };
  }
  return { ok: true, file, backup };
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
