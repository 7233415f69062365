// Commissioning against the simulated village: scan a gateway, read a unit, poll a non-SunSpec
// DIN-rail meter through its custom map (the SDM630-style example), and save a device into a
// site file — atomically, with a .bak, and only when the result is valid.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { FieldContext } from '../../electron/field/field-part.ts';
import { run as scan } from '../../electron/cli/scan.ts';
import { createFieldPart, type FieldPart } from '../../electron/field/field-part.ts';
import { Poller } from '../../electron/field/poller.ts';
import { openHistorianDb, type Db } from '../../electron/historian/database.ts';
import { SiteSimulator } from '../../electron/sim/site-simulator.ts';
import { SiteStore } from '../../electron/site/site-store.ts';
import type { CallContext } from '../../shared/api/contract.ts';
import type { ScanProgress } from '../../shared/api/field-api.ts';
import { deviceSchema, type SiteFile } from '../../shared/site/schema.ts';
import { validateSite } from '../../shared/site/validate-site.ts';
import { demoSiteJson } from '../fixtures/demo-site.ts';
import { repoRoot } from '../fixtures/paths.ts';
import { waitFor } from '../fixtures/wait.ts';
import { meterStartWh } from '../../electron/sim/device-images.ts';
import { as, asAdmin } from '../fixtures/callers.ts';
import { MemoryAuditTrail } from '../../electron/platform/audit-trail.ts';

const example = JSON.parse(
  fs.readFileSync(path.join(repoRoot, 'resources/examples/eastron-sdm630-meter.json'), 'utf8'),
) as Record<string, any>;

let dir: string;
let siteFile: string;
let site: SiteFile;
let sim: SiteSimulator;
let poller: Poller;
const audit = new MemoryAuditTrail();
let db: Db;
let part: FieldPart;
const events: Array<{ event: string; payload: unknown }> = [];
const technician: CallContext = {
  caller: {
    user: 'tess',
    role: 'technician',
    transport: 'system',
    peer: 'local',
    provedMs: Date.now(),
    sessionId: null,
  },
};

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cw-commission-'));
  // The demo village, with household h07's meter swapped for the SDM630-style example.
  const doc = demoSiteJson() as Record<string, any>;
  doc.devices.push(example);
  doc.members.find((m: any) => m.id === 'h07').meter = example.id;
  const checked = validateSite(doc);
  if (!checked.ok) throw new Error(JSON.stringify(checked.problems));
  site = checked.value;
  siteFile = path.join(dir, 'site.json');
  fs.writeFileSync(siteFile, `${JSON.stringify(doc, null, 2)}\n`);
  sim = await SiteSimulator.start(site, {
    ephemeralPorts: true,
    realTime: false,
    startMs: Date.parse('2026-06-21T19:00:00Z'),
  });
  sim.step(5);
  poller = new Poller(site, { endpointOf: (d) => sim.endpointOf(d) });
  poller.start();
  await waitFor(() => poller.status().every((d) => d.state === 'online'), 20_000, 'every device online');
  db = openHistorianDb(path.join(dir, 'data'));
  const ctx = {
    sites: new SiteStore(siteFile, site, { dataDir: path.join(dir, 'data') }),
    dataDir: path.join(dir, 'data'),
    audit,
    poller,
    snapshot: () => {
      throw new Error('not used');
    },
    emit: (event: string, payload: unknown) => void events.push({ event, payload }),
    log: () => undefined,
    now: Date.now,
  } as unknown as FieldContext;
  part = createFieldPart(ctx);
  await part.start?.();
});

afterAll(async () => {
  await part.stop?.();
  await poller.stop();
  await sim.stop();
  db.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

function endpointOf(id: string) {
  const device = site.devices.find((d) => d.id === id);
  if (!device) throw new Error(`no device ${id}`);
  return sim.endpointOf(device);
}

describe('a non-SunSpec meter through its custom map', () => {
  it('the example is a valid device and reads what the simulated SDM630 holds', () => {
    expect(deviceSchema.safeParse(example).success).toBe(true);
    const live = poller.status().find((d) => d.id === example.id);
    const h07 = sim.physics.state.members.get('h07')!;
    expect(live?.readings.powerKW?.quality).toBe('good');
    // float32 keeps about seven significant digits.
    expect(live?.readings.powerKW?.value).toBeCloseTo(h07.netKW, 4);
    expect(Math.abs(h07.netKW)).toBeGreaterThan(0.01);
    expect(live?.readings.voltageV?.value).toBeCloseTo(sim.physics.state.busVoltageV.get('f1-n2')!, 3);
    expect(live?.readings.frequencyHz?.value).toBeCloseTo(sim.physics.state.frequencyHz, 3);
    // The register holds the meter's history plus what the physics metered: float32 at a few MWh
    // resolves to about 0.001 kWh.
    expect(live?.readings.energyImportKWh?.value).toBeCloseTo(
      (meterStartWh(example.id) + h07.importWh) / 1000,
      2,
    );
  });
});

describe('scanning and reading', () => {
  it('scans a gateway: SunSpec units with their models, the custom meter as answering without SunSpec', async () => {
    const gw = endpointOf('clinic-meter');
    const progress: ScanProgress[] = [];
    const unsub = () => undefined;
    const result = await part.handlers['field/scan'](
      {
        scanId: 'scan-1',
        host: gw.host,
        port: gw.port,
        fromUnit: 1,
        toUnit: 62,
        timeoutMs: 300,
      },
      asAdmin,
    );
    unsub();
    for (const e of events) if (e.event === 'field/scan-progress') progress.push(e.payload as ScanProgress);
    expect(result.error).toBeNull();
    const served = site.devices.filter((d) => d.gateway === 'gw-north' && d.endpoint.unitId <= 62);
    expect(result.units.map((u) => u.unit).sort((a, b) => a - b)).toEqual(
      served.map((d) => d.endpoint.unitId).sort((a, b) => a - b),
    );
    const clinic = result.units.find((u) => u.unit === endpointOf('clinic-meter').unitId);
    expect(clinic).toMatchObject({ base: 40000, manufacturer: 'Commonwatt', serial: 'clinic-meter' });
    expect(clinic?.models.map((m) => m.id)).toEqual([1, 203]);
    expect(result.units.find((u) => u.unit === 60)).toEqual({ unit: 60, base: null, models: [] });
    expect(progress.filter((p) => p.scanId === 'scan-1')).toHaveLength(62);
    expect(progress.at(-1)).toMatchObject({ done: 62, total: 62 });
  });

  it('commonwatt scan --json lists units as {unit, base, models}', async () => {
    const pcc = endpointOf('pcc-meter');
    const out: string[] = [];
    const log = vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void out.push(a.join(' ')));
    let code: number;
    try {
      code = await scan([
        '--host',
        pcc.host,
        '--port',
        String(pcc.port),
        '--units',
        '1-2',
        '--timeout',
        '200',
        '--json',
      ]);
    } finally {
      log.mockRestore();
    }
    expect(code).toBe(0);
    expect(JSON.parse(out.join('\n'))).toEqual([
      {
        unit: 1,
        base: 40000,
        models: [
          { id: 1, offset: 40002, length: 66 },
          { id: 213, offset: 40070, length: 124 },
        ],
      },
    ]);
  });

  it('commonwatt scan says why when the endpoint cannot be reached', async () => {
    const err: string[] = [];
    const error = vi
      .spyOn(console, 'error')
      .mockImplementation((...a: unknown[]) => void err.push(a.join(' ')));
    let code: number;
    try {
      code = await scan(['--host', '127.0.0.1', '--port', '1', '--units', '1-3']);
    } finally {
      error.mockRestore();
    }
    expect(code).toBe(1);
    expect(err.join('\n')).toMatch(/127\.0\.0\.1:1: cannot connect \(connection refused/);
  });

  it('reads a battery inverter live, vendor mode model included', async () => {
    const battery = endpointOf('battery-1');
    const view = await part.handlers['field/read-unit'](
      {
        host: battery.host,
        port: battery.port,
        unitId: 1,
      },
      asAdmin,
    );
    expect(view.models.map((m) => m.id)).toEqual([1, 103, 124, 802, 64901]);
    const soc = view.models.find((m) => m.id === 802)?.points.find((p) => p.name === 'SoC');
    expect(soc?.value).toBeCloseTo(sim.physics.state.batteries.get('battery-1')!.socFraction * 100, 0);
    expect(soc?.units).toBe('%WHRtg');
    const mode = view.models.find((m) => m.id === 64901)?.points.find((p) => p.name === 'Mod');
    expect(mode).toMatchObject({ value: 'SELF_CONSUMPTION', writable: true });
  });

  it('lists the endpoints as actually served, with the site file endpoint to save', async () => {
    const endpoints = await part.handlers['field/endpoints']({}, asAdmin);
    const north = endpoints.find((e) => e.gateway === 'gw-north');
    expect(north?.port).toBe(endpointOf('clinic-meter').port);
    const declared = site.devices.find((d) => d.id === 'clinic-meter')!.endpoint;
    expect(north).toMatchObject({ siteHost: declared.host, sitePort: declared.port });
    expect(north?.port).not.toBe(declared.port);
    expect(north?.devices.some((d) => d.id === example.id && d.unitId === 60)).toBe(true);
  });

  it('offers the example custom maps as templates and reads a unit through one', async () => {
    const templates = await part.handlers['field/map-templates']({}, asAdmin);
    const sdm = templates.find((t) => t.id === 'eastron-sdm630-meter');
    expect(sdm).toMatchObject({ label: example.name, kind: 'member-meter' });
    expect(sdm?.registerMap.points.map((p) => p.name)).toEqual(
      (example.registerMap.points as Array<{ name: string }>).map((p) => p.name),
    );
    const gw = endpointOf(example.id);
    const view = await part.handlers['field/read-points'](
      {
        host: gw.host,
        port: gw.port,
        unitId: 60,
        registerMap: sdm!.registerMap,
      },
      asAdmin,
    );
    expect(view.problems).toEqual([]);
    const power = view.points.find((p) => p.name === 'Total system power');
    expect(power).toMatchObject({ units: 'kW', implemented: true });
    expect(power?.value).toBeCloseTo(sim.physics.state.members.get('h07')!.netKW, 3);
    // The same map against a SunSpec unit: its input registers there are refused, and it says so.
    const clinic = endpointOf('clinic-meter');
    await expect(
      part.handlers['field/read-points'](
        {
          host: clinic.host,
          port: clinic.port,
          unitId: clinic.unitId,
          registerMap: sdm!.registerMap,
        },
        asAdmin,
      ),
    ).rejects.toThrow(/exception 2/);
  });
});

describe('saving a commissioned device', () => {
  const newMeter = deviceSchema.parse({
    id: 'h41-meter',
    kind: 'member-meter',
    gateway: 'gw-south',
    endpoint: { host: '127.0.0.1', port: 15041, unitId: 77 },
    registerMap: { type: 'sunspec', base: 40000 },
    bus: 'f3-n2',
  });

  it('refuses an invalid result with every problem listed, and leaves the file alone', async () => {
    const before = fs.readFileSync(siteFile, 'utf8');
    const result = await part.handlers['field/save-device'](
      {
        device: { ...newMeter, bus: 'nowhere', endpoint: { ...newMeter.endpoint, port: 15099 } },
        assign: { memberMeter: 'h40' },
      },
      technician,
    );
    expect(result.ok).toBe(false);
    if (result.ok) return;
    const messages = result.problems.map((p) => `${p.path}: ${p.message}`).join('\n');
    expect(messages).toMatch(/devices\[\d+\]\.bus: unknown bus 'nowhere'/);
    expect(messages).toMatch(/must be the gateway's address 127\.0\.0\.1:15041/);
    expect(fs.readFileSync(siteFile, 'utf8')).toBe(before);
  });

  it('refuses a duplicate id unless told to replace it', async () => {
    const result = await part.handlers['field/save-device'](
      { device: { ...newMeter, id: 'clinic-meter' } },
      technician,
    );
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.problems[0]?.message).toMatch(/a device 'clinic-meter' already exists/);
  });

  it('writes a valid file atomically, keeps the previous as a versioned backup, and assigns the member', async () => {
    const before = fs.readFileSync(siteFile, 'utf8');
    const result = await part.handlers['field/save-device'](
      {
        device: newMeter,
        assign: { memberMeter: 'h40' },
      },
      technician,
    );
    expect(result).toMatchObject({ ok: true, file: siteFile });
    if (!result.ok) return;
    const backup = result.backup as string;
    expect(path.dirname(backup)).toBe(path.join(dir, 'data', 'site-backups'));
    expect(fs.readFileSync(backup, 'utf8')).toBe(before);
    const saved = validateSite(JSON.parse(fs.readFileSync(siteFile, 'utf8')));
    expect(saved.ok).toBe(true);
    if (!saved.ok) return;
    expect(saved.value.members.find((m) => m.id === 'h40')?.meter).toBe('h41-meter');
    expect(saved.value.devices.find((d) => d.id === 'h41-meter')?.endpoint.unitId).toBe(77);
    expect(fs.readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('refuses to write into the bundled demo site', async () => {
    const demo = createFieldPart({
      sites: new SiteStore(path.join(repoRoot, 'resources/sites/demo-village.json'), site),
      dataDir: dir,
      audit,
      poller,
      snapshot: () => {
        throw new Error('not used');
      },
      emit: () => undefined,
      log: () => undefined,
      now: Date.now,
    } as unknown as FieldContext);
    expect(await demo.handlers['field/site-file']({}, asAdmin)).toMatchObject({
      writable: false,
      reason: expect.stringMatching(/bundled demo site is read-only.*--site/),
    });
    const result = await demo.handlers['field/save-device']({ device: newMeter }, technician);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.problems[0]?.message).toMatch(/bundled demo site is read-only/);
    expect(await part.handlers['field/site-file']({}, asAdmin)).toEqual({
      file: siteFile,
      writable: true,
      reason: null,
    });
  });
});

describe('commands through the field part', () => {
  it("runs a command, emits it and audits it with the caller's user, not the request's", async () => {
    const result = await part.handlers['field/command'](
      { command: { kind: 'pv-curtail', device: 'community-pv', limitFraction: 0.8 } },
      as('technician', 'ana'),
    );
    expect(result.status).toBe('done');
    expect(
      events.some((e) => e.event === 'field/command' && (e.payload as { id: number }).id === result.id),
    ).toBe(true);
    expect(result.actor).toBe('ana');
    expect(audit.records.at(-1)).toMatchObject({
      id: result.id,
      user: 'ana',
      role: 'technician',
      action: 'field/command',
      what: 'community-pv limited to 80 %',
      result: 'ok',
    });
    await part.handlers['field/command'](
      {
        command: { kind: 'pv-curtail', device: 'community-pv', limitFraction: 1 },
      },
      asAdmin,
    );
  });
});

describe('a spare unit on the first gateway', () => {
  it('scanning the gateway finds a SunSpec meter the site does not list, served but not polled', async () => {
    const gateway = site.gateways[0]!;
    const spares = sim.spareUnits();
    expect(spares).toHaveLength(1);
    const spare = spares[0]!;
    expect(spare.gateway).toBe(gateway.id);
    const gw = endpointOf('clinic-meter');
    expect({ host: spare.host, port: spare.port }).toEqual({ host: gw.host, port: gw.port });
    expect(site.devices.some((d) => d.gateway === gateway.id && d.endpoint.unitId === spare.unitId)).toBe(
      false,
    );

    const result = await part.handlers['field/scan'](
      {
        scanId: 'scan-spare',
        host: gw.host,
        port: gw.port,
        fromUnit: 190,
        toUnit: 210,
        timeoutMs: 300,
      },
      asAdmin,
    );
    expect(result.error).toBeNull();
    expect(result.units.map((u) => u.unit)).toEqual([spare.unitId]);
    const unit = result.units[0];
    expect(unit).toMatchObject({ base: 40000, manufacturer: 'Commonwatt', serial: spare.serial });
    expect(unit?.models.map((m) => m.id)).toEqual([1, 203]);

    // The Commissioning view tags a unit *new* when its endpoint lists no site device at that id.
    const north = (await part.handlers['field/endpoints']({}, asAdmin)).find(
      (e) => e.host === gw.host && e.port === gw.port,
    );
    expect(north?.devices.length).toBeGreaterThan(0);
    expect(north?.devices.some((d) => d.unitId === spare.unitId)).toBe(false);

    // Live readings: a small load, as a member's meter would show it.
    const view = await part.handlers['field/read-unit'](
      {
        host: gw.host,
        port: gw.port,
        unitId: spare.unitId,
      },
      asAdmin,
    );
    const watts = view.models.find((m) => m.id === 203)?.points.find((p) => p.name === 'W')?.value;
    expect(typeof watts).toBe('number');
    expect(watts as number).toBeGreaterThan(100);
    expect(watts as number).toBeLessThan(1000);

    // Served only: the poller reads the site's devices, so no total counts the spare.
    expect(
      poller
        .status()
        .map((d) => d.id)
        .sort(),
    ).toEqual(site.devices.map((d) => d.id).sort());
  });

  it('is not served once a site file lists a device at its unit', async () => {
    const spareUnit = sim.spareUnits()[0]!.unitId;
    const doc = demoSiteJson() as Record<string, any>;
    const clinic = doc.devices.find((d: any) => d.id === 'clinic-meter');
    doc.devices.push({
      ...clinic,
      id: 'commissioned-meter',
      endpoint: { ...clinic.endpoint, unitId: spareUnit },
    });
    const checked = validateSite(doc);
    if (!checked.ok) throw new Error(JSON.stringify(checked.problems));
    const other = await SiteSimulator.start(checked.value, { ephemeralPorts: true, realTime: false });
    try {
      expect(other.spareUnits()).toEqual([]);
    } finally {
      await other.stop();
    }
  });
});

describe("scans reach the site's own endpoints unless an admin asks", () => {
  it("lets a technician scan the site's gateway but not another address; an admin may", async () => {
    const gw = endpointOf('clinic-meter');
    const own = await part.handlers['field/scan'](
      { scanId: 'scope-own', host: gw.host, port: gw.port, fromUnit: 1, toUnit: 1, timeoutMs: 300 },
      technician,
    );
    expect(own.error).toBeNull();
    // 127.0.0.2 is loopback but no endpoint of this site: nothing listens there.
    const elsewhere = { host: '127.0.0.2', port: 1502, fromUnit: 1, toUnit: 1, timeoutMs: 300 };
    await expect(
      part.handlers['field/scan']({ scanId: 'scope-far', ...elsewhere }, technician),
    ).rejects.toMatchObject({
      code: 'forbidden',
      message: expect.stringMatching(/127\.0\.0\.2 is not one of the site's endpoints or networks/),
    });
    await expect(
      part.handlers['field/read-unit'](
        { host: '127.0.0.2', port: 1502, unitId: 1, timeoutMs: 300 },
        technician,
      ),
    ).rejects.toMatchObject({ code: 'forbidden' });
    const byAdmin = await part.handlers['field/scan']({ scanId: 'scope-admin', ...elsewhere }, asAdmin);
    expect(byAdmin.units).toEqual([]);
  });
});
