// The Market view in Chromium against `commonwatt serve` on a simulated copy of the demo village:
// the interval's supply and demand curves, the price, the trades in a table and on the network;
// a setting changed, checked and saved to the copy; an invalid value named beside its field and
// refused. Screenshots go to test-results/ for people to look at.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Served } from '../fixtures/cli.ts';
import { openConsoleInBrowser, type ConsoleInBrowser } from '../fixtures/console-in-browser.ts';
import { demoSitePath, repoRoot } from '../fixtures/paths.ts';

const resultsDir = path.join(repoRoot, 'test-results');
const tempDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cw-e2e-market-'));
const siteFile = path.join(tempDir, 'village.json');
let c: ConsoleInBrowser;
let served: Served;
let page: Page;

/**
 * The demo village moved in longitude so that its sun is up now: the simulator's PV follows the
 * sun, and without sellers there would be no trade to show. Loads and tariffs keep the site's
 * own time zone.
 */
function sunlitCopy(): void {
  const doc = JSON.parse(fs.readFileSync(demoSitePath, 'utf8')) as { site: { longitude: number } };
  const now = new Date();
  const utcHours = now.getUTCHours() + now.getUTCMinutes() / 60;
  let longitude = (12.5 - utcHours) * 15;
  if (longitude > 180) longitude -= 360;
  if (longitude < -180) longitude += 360;
  doc.site.longitude = Math.round(longitude * 100) / 100;
  fs.writeFileSync(siteFile, `${JSON.stringify(doc, null, 2)}\n`);
}

/** The line above the curves: "N sellers, M buyers · cleared at HH:MM:SS in X ms". */
function clearingSummary() {
  return page.locator('.panel-head', { has: page.getByTestId('market-refresh') }).locator('span.muted');
}

async function tradeRows(): Promise<number> {
  return page.locator('[data-testid=market-trades] tbody tr').count();
}

beforeAll(async () => {
  fs.mkdirSync(resultsDir, { recursive: true });
  sunlitCopy();
  c = await openConsoleInBrowser(['--site', siteFile, '--sim', '--data', path.join(tempDir, 'data')]);
  ({ served, page } = c);
  await page.goto(served.url);
  await page.getByRole('button', { name: 'Market', exact: true }).click();
});

afterAll(async () => {
  await c?.close();
  fs.rmSync(tempDir, { recursive: true, force: true });
});

describe('market view', () => {
  it('draws the supply and demand curves and the trades from live readings', async () => {
    await page.getByTestId('market-curves').waitFor({ timeout: 20_000 });
    // The first clearing may come before every meter has answered: clear again until trades show.
    const deadline = Date.now() + 60_000;
    while ((await tradeRows()) === 0) {
      if (Date.now() > deadline) throw new Error('no trade shown within 60 s');
      // Wait for the new clearing to be shown (its summary names when and how fast it cleared).
      const before = await clearingSummary().innerText();
      await page.getByTestId('market-refresh').click();
      // A clearing that reads exactly as the last (same second, same time to 0.01 ms) is clicked again.
      await expect
        .poll(async () => (await tradeRows()) > 0 || (await clearingSummary().innerText()) !== before, {
          timeout: 15_000,
        })
        .toBe(true)
        .catch(() => undefined);
    }
    expect(await page.getByTestId('supply-curve').getAttribute('d')).toMatch(/^M[\d.]+,[\d.]+H/);
    expect(await page.getByTestId('demand-curve').getAttribute('d')).toMatch(/^M[\d.]+,[\d.]+H/);
    const rows = await tradeRows();
    expect(rows).toBeGreaterThan(0);
    // Every trade in the table is an arc on the network.
    expect(await page.locator('[data-testid=trade-map] path.trade').count()).toBe(rows);
    expect(await page.getByTestId('market-local').textContent()).toMatch(/^\d+\.\d{2}\s?kWh$/);
    expect(await page.getByTestId('market-price').textContent()).toMatch(
      /^\d\.\d{3,4}(–\d\.\d{3})?\s?EUR\/kWh$/,
    );
    expect(await page.getByTestId('market-platform').textContent()).toBe('Brooklyn Microgrid');
  });

  it('saves a valid change to the site file after a confirmation, and clears by it', async () => {
    await page.getByTestId('market-mechanism').selectOption('uniform');
    await page.getByTestId('market-validation').getByText('Valid').waitFor({ timeout: 10_000 });
    await page.getByTestId('market-save').click();
    await page.getByTestId('market-save-confirm').click();
    await page.getByText(/^Saved to .*village\.json/).waitFor({ timeout: 10_000 });
    const saved = JSON.parse(fs.readFileSync(siteFile, 'utf8')) as { market: Record<string, unknown> };
    expect(saved.market).toEqual({ preset: 'brooklyn', intervalMinutes: 15, mechanism: 'uniform' });
    // The file it replaced is kept, with who saved it, under the data directory's site backups.
    const backups = fs.readdirSync(path.join(tempDir, 'data', 'site-backups'));
    expect(backups.some((f) => f.endsWith('.json'))).toBe(true);
    expect(backups.some((f) => f.endsWith('.meta') || f.endsWith('.meta.json'))).toBe(true);

    // Uniform pricing: one clearing price, or zonal prices where a full branch splits them.
    await page
      .getByTestId('market-platform')
      .locator('xpath=..')
      .getByText('cleared by uniform')
      .waitFor({ timeout: 15_000 });
    const label = await page
      .getByTestId('market-price')
      .locator('xpath=..')
      .locator('.figure-label')
      .textContent();
    expect(['Clearing price', 'Zonal prices']).toContain(label);
    const priceLines = page.locator(
      '[data-testid=market-curves] .clearing-price, [data-testid=market-curves] .zone-price',
    );
    expect(await priceLines.count()).toBeGreaterThan(0);
    await page.screenshot({ path: path.join(resultsDir, 'market.png') });
  });

  it('names an invalid value beside its field and refuses to save it', async () => {
    const before = fs.readFileSync(siteFile, 'utf8');
    const fee = page.getByTestId('fee-networkPerKWh');
    // Scroll the settings panel alone, so the screenshot keeps the figures and the curves.
    await fee.evaluate((el) => {
      const side = el.closest('.market-side')!;
      side.scrollTop += el.getBoundingClientRect().top - side.getBoundingClientRect().top - 120;
    });
    await fee.fill('-0.5');
    const problem = page.getByTestId('market-validation').getByText(/^market\.fees\.networkPerKWh: /);
    await problem.waitFor({ timeout: 10_000 });
    // The same message stands under the field itself.
    const message = (await problem.textContent())!.replace(/^market\.fees\.networkPerKWh: /, '');
    await fee.locator('xpath=ancestor::label[1]').getByText(message).waitFor();
    expect(await page.getByTestId('market-save').isDisabled()).toBe(true);
    await page.screenshot({ path: path.join(resultsDir, 'market-settings.png') });
    expect(fs.readFileSync(siteFile, 'utf8')).toBe(before);

    await fee.fill('0.01');
    await page.getByTestId('market-validation').getByText('Valid').waitFor({ timeout: 10_000 });

    // A tariff that leaves an hour of the day without a price is refused too.
    const start = page.getByLabel('Period 3 starts (HH:MM)');
    const was = await start.inputValue();
    const later = `${String((Number(was.slice(0, 2)) + 1) % 24).padStart(2, '0')}${was.slice(2)}`;
    await start.fill(later);
    await page
      .getByTestId('market-validation')
      .getByText(`tariff.periods: no tariff period covers ${was}`)
      .waitFor();
    expect(await page.getByTestId('market-save').isDisabled()).toBe(true);
    await start.fill(was);
    await page.getByTestId('market-validation').getByText('Valid').waitFor({ timeout: 10_000 });
    expect(await page.getByTestId('market-save').isDisabled()).toBe(false);
    expect(c.offsiteRequests).toEqual([]);
    expect(c.pageErrors).toEqual([]);
  });
});
