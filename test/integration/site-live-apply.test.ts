// A saved site applies without a restart: in a running console on the simulated village, a meter
// commissioned through field/save-device (the spare unit on the first gateway) is polled at once,
// the market settings view follows the saved file, and the save is kept as a versioned backup.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startConsole, type ConsoleApp } from '../../electron/app/console-app.ts';
import { SPARE_UNIT_ID } from '../../electron/sim/site-simulator.ts';
import type { CallContext } from '../../shared/api/contract.ts';
import { demoSiteJson } from '../fixtures/demo-site.ts';
import { waitFor } from '../fixtures/wait.ts';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cw-live-apply-'));
const siteFile = path.join(dir, 'village.json');
const dataDir = path.join(dir, 'data');
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
let app: ConsoleApp;

beforeAll(async () => {
  fs.writeFileSync(siteFile, `${JSON.stringify(demoSiteJson(), null, 2)}\n`);
  app = await startConsole({ siteFile, dataDir, simulate: true, transport: 'websocket' });
}, 60_000);

afterAll(async () => {
  await app?.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('a commissioned meter', () => {
  it('is polled at once after field/save-device, without a restart', async () => {
    const gateway = app.sites.current().gateways[0]!;
    expect(app.poller.status().some((d) => d.id === 'spare-meter')).toBe(false);
    const result = await app.handlers['field/save-device'](
      {
        device: {
          id: 'spare-meter',
          kind: 'member-meter',
          gateway: gateway.id,
          endpoint: { host: gateway.host, port: gateway.port, unitId: SPARE_UNIT_ID },
          registerMap: { type: 'sunspec', base: 40000 },
          pollPeriodMs: 1000,
          timeoutMs: 2000,
        },
      },
      technician,
    );
    expect(result.ok).toBe(true);
    // The store holds the saved site; the poller reads the new device through the simulator.
    expect(app.sites.current().devices.some((d) => d.id === 'spare-meter')).toBe(true);
    await waitFor(
      () => app.poller.status().find((d) => d.id === 'spare-meter')?.readings.powerKW?.quality === 'good',
      15_000,
      'the commissioned meter polled',
    );
    const live = app.poller.status().find((d) => d.id === 'spare-meter')!;
    expect(live.state).toBe('online');
    // The spare meter serves a load of about 0.35 kW (device-images.ts).
    expect(live.readings.powerKW!.value).toBeGreaterThan(0.1);
    expect(live.readings.powerKW!.value).toBeLessThan(1);
    // Every device of the saved site is polled, the new one included, and no other.
    expect(
      app.poller
        .status()
        .map((d) => d.id)
        .sort(),
    ).toEqual(
      app.sites
        .current()
        .devices.map((d) => d.id)
        .sort(),
    );

    const backups = app.sites.backups();
    expect(backups).toHaveLength(1);
    expect(backups[0]).toMatchObject({ actor: 'tess' });
    expect(
      JSON.parse(fs.readFileSync(backups[0]!.file, 'utf8')).devices.some((d: any) => d.id === 'spare-meter'),
    ).toBe(false);
  });

  it('site/get answers the saved site', async () => {
    const site = await app.handlers['site/get']({}, technician);
    expect(site.devices.some((d) => d.id === 'spare-meter')).toBe(true);
  });
});
