// Commissioning in Chromium against `commonwatt serve` on a copy of the demo village: a new
// SunSpec meter appears on its own Modbus/TCP endpoint; the technician adds the endpoint, scans it
// with progress, sees its points live with units, makes it a member's meter and saves — and the
// saved site file validates. A screenshot is kept for people to look at.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeCustomPoint } from '../../electron/field/custom-map.ts';
import { ArrayBank, ModbusTcpServer } from '../../electron/sim/modbus-server.ts';
import { customPointSchema } from '../../shared/site/schema.ts';
import { validateSite } from '../../shared/site/validate-site.ts';
import type { Served } from '../fixtures/cli.ts';
import { openConsoleInBrowser, type ConsoleInBrowser } from '../fixtures/console-in-browser.ts';
import { demoSitePath, repoRoot } from '../fixtures/paths.ts';
import { meterImage } from '../fixtures/fake-devices.ts';

const resultsDir = path.join(repoRoot, 'test-results');
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cw-e2e-commission-'));
const siteFile = path.join(dir, 'site.json');
/** The new SunSpec meter: unit 5 on its endpoint, serving 1234 W. */
const NEW_UNIT = 5;
const NEW_WATTS = 1234;
/** A DIN-rail meter without SunSpec (the SDM630 example's map) as unit 7 on the same endpoint. */
const DIN_UNIT = 7;
const example = JSON.parse(
  fs.readFileSync(path.join(repoRoot, 'resources/examples/eastron-sdm630-meter.json'), 'utf8'),
) as { name: string; registerMap: { points: unknown[] } };
const dinFigures: Record<string, number> = {
  'L1 voltage': 231.5,
  'Total system power': 2.5,
  Frequency: 49.75,
  'Import active energy': 123.5,
};

function dinMeterRegisters(): Uint16Array {
  const registers = new Uint16Array(80);
  for (const raw of example.registerMap.points) {
    const point = customPointSchema.parse(raw);
    registers.set(encodeCustomPoint(point, dinFigures[point.name] ?? 0), point.address);
  }
  return registers;
}
let device: ModbusTcpServer;
let devicePort: number;
let c: ConsoleInBrowser;
let served: Served;
let page: Page;

beforeAll(async () => {
  fs.mkdirSync(resultsDir, { recursive: true });
  fs.copyFileSync(demoSitePath, siteFile);
  device = new ModbusTcpServer({
    host: '127.0.0.1',
    port: 0,
    units: new Map([
      [NEW_UNIT, new ArrayBank(40000, meterImage(NEW_UNIT, NEW_WATTS))],
      [DIN_UNIT, new ArrayBank(0, dinMeterRegisters())],
    ]),
  });
  devicePort = await device.listen();
  c = await openConsoleInBrowser(['--site', siteFile, '--sim', '--data', path.join(dir, 'data')], {
    viewport: { width: 1600, height: 900 },
  });
  ({ served, page } = c);
  await page.goto(served.url);
  await page.getByRole('button', { name: 'Commissioning' }).click();
});

afterAll(async () => {
  await c?.close();
  await device?.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('commissioning view', () => {
  it('says which site file a save writes', async () => {
    const banner = page.getByTestId('site-file');
    await banner.filter({ hasText: 'Saving writes to' }).waitFor({ timeout: 20_000 });
    expect(await banner.textContent()).toContain(siteFile);
  });

  it('scans a new endpoint with progress and lists the unit that answers', async () => {
    await page.locator('#cw-host').fill('127.0.0.1');
    await page.locator('#cw-port').fill(String(devicePort));
    await page.locator('#cw-from').fill('1');
    await page.locator('#cw-to').fill('8');
    await page.getByTestId('scan').click();
    await page.getByTestId('scan-progress').filter({ hasText: '8 of 8' }).waitFor({ timeout: 30_000 });
    const units = page.getByTestId('units').locator('li');
    await page.getByTestId('scan').waitFor();
    expect(await units.count()).toBe(2);
    const text = (await units.nth(0).textContent()) ?? '';
    expect(text).toContain(`unit ${NEW_UNIT}`);
    expect(text).toContain('SunSpec at 40000');
    expect(text).toContain('models 1, 201');
    expect(text).toContain('new');
    expect(await units.nth(1).textContent()).toContain(`unit ${DIN_UNIT} answers, no SunSpec map`);
  });

  it('shows the unit’s decoded points live, with units', async () => {
    await page.getByTestId('units').locator('li').first().click();
    const points = page.getByTestId('live-points');
    const meter = points.getByTestId('model-201');
    await meter.waitFor({ timeout: 10_000 });
    const row = meter.locator('tr', { has: page.locator('td', { hasText: /^W$/ }) }).first();
    expect(await row.locator('td').nth(1).textContent()).toBe(`${NEW_WATTS} W`);
    expect(await points.textContent()).toContain('230 V');
  });

  it('reads a meter without SunSpec through the example register map, with units', async () => {
    await page.getByTestId('units').locator('li').nth(1).click();
    const points = page.getByTestId('custom-points');
    await points.waitFor({ timeout: 10_000 });
    expect(await page.locator('#cw-map option:checked').textContent()).toBe(example.name);
    const value = (name: string) =>
      points
        .locator('tr', { has: page.locator('td', { hasText: new RegExp(`^${name}$`) }) })
        .locator('td')
        .nth(1);
    expect(await value('L1 voltage').textContent()).toBe('231.5 V');
    expect(await value('Total system power').textContent()).toBe('2.5 kW');
    expect(await value('Frequency').textContent()).toBe('49.75 Hz');
    expect(await value('Import active energy').textContent()).toBe('123.5 kWh');
  });

  it('assigns the meter to a member and saves a site file that validates', async () => {
    await page.getByTestId('units').locator('li').nth(0).click();
    await page.getByTestId('model-201').waitFor({ timeout: 10_000 });
    await page.locator('#cw-id').fill('h07-meter-new');
    await page.locator('#cw-role').selectOption('member-meter');
    await page.locator('#cw-target').selectOption('h07');
    await page.getByTestId('save-device').click();
    await page.getByTestId('saved').waitFor({ timeout: 10_000 });
    await page.screenshot({ path: path.join(resultsDir, 'commissioning.png') });
    const doc = JSON.parse(fs.readFileSync(siteFile, 'utf8')) as unknown;
    const checked = validateSite(doc);
    expect(checked.ok ? [] : checked.problems).toEqual([]);
    if (!checked.ok) return;
    const saved = checked.value.devices.find((d) => d.id === 'h07-meter-new');
    expect(saved).toMatchObject({
      kind: 'member-meter',
      endpoint: { host: '127.0.0.1', port: devicePort, unitId: NEW_UNIT },
      registerMap: { type: 'sunspec', base: 40000 },
    });
    expect(checked.value.members.find((m) => m.id === 'h07')?.meter).toBe('h07-meter-new');
    // The file it replaced is kept, with who saved it, under the data directory's site backups.
    const backups = fs.readdirSync(path.join(dir, 'data', 'site-backups'));
    expect(backups.some((f) => f.endsWith('.json'))).toBe(true);
    expect(backups.some((f) => f.endsWith('.meta') || f.endsWith('.meta.json'))).toBe(true);
  });

  it('saves the DIN-rail meter with its custom register map', async () => {
    await page.getByTestId('units').locator('li').nth(1).click();
    await page.getByTestId('custom-points').waitFor({ timeout: 10_000 });
    await page.locator('#cw-id').fill('workshop-din-meter');
    await page.locator('#cw-bus').selectOption('f1-n2');
    await page.locator('#cw-role').selectOption('none');
    await page.getByTestId('save-device').click();
    await page.getByTestId('saved').waitFor({ timeout: 10_000 });
    await page.screenshot({ path: path.join(resultsDir, 'commissioning-custom-map.png') });
    const checked = validateSite(JSON.parse(fs.readFileSync(siteFile, 'utf8')));
    expect(checked.ok ? [] : checked.problems).toEqual([]);
    if (!checked.ok) return;
    const saved = checked.value.devices.find((d) => d.id === 'workshop-din-meter');
    expect(saved?.endpoint).toEqual({ host: '127.0.0.1', port: devicePort, unitId: DIN_UNIT });
    expect(saved?.registerMap.type).toBe('custom');
    expect(saved?.registerMap.type === 'custom' && saved.registerMap.points.length).toBe(
      example.registerMap.points.length,
    );
    // The first device saved is still there.
    expect(checked.value.devices.some((d) => d.id === 'h07-meter-new')).toBe(true);
    expect(c.pageErrors).toEqual([]);
  });
});
