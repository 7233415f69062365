// The members, storage and KPI views in Chromium against `commonwatt serve`, on a data directory
// whose ledger was filled by the headless settlement path with the demo village's last three
// days (the live console settles an interval only after it closes). Real figures must render and
// match the ledger; screenshots are kept for people to look at.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHeadlessSettlement } from '../../electron/market/headless-settlement.ts';
import { memberTotals, projectedKpis } from '../../electron/market/ledger-projection.ts';
import { Ledger } from '../../electron/market/ledger.ts';
import { localMidnightMs } from '../../shared/time/zone.ts';
import { launchChromium } from '../fixtures/browser.ts';
import { startServe, type Served } from '../fixtures/cli.ts';
import { demoSite } from '../fixtures/demo-site.ts';
import { repoRoot } from '../fixtures/paths.ts';
import { physicsIntervals } from '../fixtures/physics-intervals.ts';

const MIN15 = 15 * 60_000;
const resultsDir = path.join(repoRoot, 'test-results');
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cw-members-'));
let served: Served;
let browser: Browser;
let page: Page;
let prefilled = 0;
const pageErrors: string[] = [];
const offsite: string[] = [];

/** The first number in a figure's text ('12.3 kWh', '€4.56', '−€1.00' → −1). */
function number(text: string | null): number {
  const match = /(−|-)?[€$£]?\s*(\d+(?:\.\d+)?)/.exec(text ?? '');
  if (!match) throw new Error(`no number in '${text}'`);
  return (match[1] ? -1 : 1) * Number(match[2]);
}

beforeAll(async () => {
  fs.mkdirSync(resultsDir, { recursive: true });
  const site = demoSite();
  const tz = site.site.timezone;
  const now = Date.now();
  // From local midnight two days ago to the last interval that has closed.
  const today = new Intl.DateTimeFormat('en-CA', { timeZone: tz })
    .format(new Date(now))
    .split('-')
    .map(Number);
  const startMs = localMidnightMs(today[0]!, today[1]! - 1, today[2]! - 2, tz);
  const intervals = Math.floor((now - startMs) / MIN15) - 1;
  const settlement = createHeadlessSettlement(dataDir, site);
  const evening = startMs + 20 * 3_600_000;
  for (const e of physicsIntervals(site, {
    startMs,
    intervals,
    stepSeconds: 30,
    islanded: [[evening, evening + 3 * 3_600_000]],
  }))
    settlement.settle(e);
  prefilled = settlement.summary().settled;
  settlement.close();

  served = await startServe(['--data', dataDir]);
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1600, height: 1000 }, acceptDownloads: true });
  page.on('pageerror', (e) => pageErrors.push(e.message));
  page.on('request', (r) => {
    const url = r.url();
    if (
      !url.startsWith(served.url) &&
      !url.startsWith(served.url.replace('http', 'ws')) &&
      !url.startsWith('blob:') &&
      !url.startsWith('about:')
    )
      offsite.push(url);
  });
  await page.goto(served.signInLink()!);
  await page.getByRole('button', { name: 'Members', exact: true }).waitFor({ timeout: 20_000 });
});

afterAll(async () => {
  await browser?.close();
  await served?.stop();
  fs.rmSync(dataDir, { recursive: true, force: true });
});

function ledgerNow<T>(read: (ledger: Ledger) => T): T {
  const ledger = Ledger.open(dataDir, { mustExist: true, readOnly: true });
  try {
    return read(ledger);
  } finally {
    ledger.close();
  }
}

describe('members, storage and KPI views', () => {
  it("shows each member's settled energy, bill and account, as in the ledger", async () => {
    await page.getByRole('button', { name: 'Members', exact: true }).click();
    // Every settled day, whatever the date the test runs on.
    await page.getByRole('button', { name: 'All settled', exact: true }).click();
    await page.locator('.period-picker button.active', { hasText: 'All settled' }).waitFor();
    await page.getByTestId('period-label').filter({ hasNotText: 'loading' }).waitFor();
    const row = page.locator('[data-testid=members-table] tr[data-member=h07]');
    await row.waitFor({ timeout: 20_000 });
    await row.click();
    await page.locator('[data-testid=member-detail] h2', { hasText: 'h07' }).waitFor();
    const used = number(await page.getByTestId('member-used').textContent());
    const h07 = ledgerNow((l) => memberTotals(l, 0, Number.MAX_SAFE_INTEGER, 'h07')[0]!);
    expect(h07.intervals).toBeGreaterThanOrEqual(prefilled);
    expect(h07.importKWh).toBeGreaterThan(1);
    // The console may settle one more interval meanwhile, never fewer.
    expect(used).toBeGreaterThanOrEqual(Math.round(h07.importKWh * 10) / 10 - 0.05);
    expect(used).toBeLessThan(h07.importKWh + 3);
    expect(await page.getByTestId('member-bill').textContent()).toMatch(/^[€]\d+\.\d\d$/);
    expect(await page.getByTestId('member-balance').textContent()).toMatch(/^\d+\.\d\d kWh$/);
    expect(await page.locator('[data-testid=member-intervals] tbody tr').count()).toBeGreaterThan(10);
    expect(await page.locator('[data-testid=member-trades] tbody tr').count()).toBeGreaterThan(0);
  });

  it('opens the printable statement in place and downloads it as PDF', async () => {
    await page.getByTestId('statement-open').click();
    const frame = page.frameLocator('iframe.statement-frame');
    await frame.locator('h1').waitFor();
    expect(await frame.locator('body').textContent()).toContain('h07');
    expect(await page.getByTestId('statement-total').textContent()).toMatch(/intervals settled/);
    await page.screenshot({ path: path.join(resultsDir, 'members.png'), fullPage: false });
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByTestId('statement-pdf').click(),
    ]);
    expect(download.suggestedFilename()).toMatch(/^h07-\d{4}-\d{2}\.pdf$/);
    const file = path.join(dataDir, 'statement.pdf');
    await download.saveAs(file);
    expect(fs.readFileSync(file).subarray(0, 5).toString()).toBe('%PDF-');
  });

  it('shows the virtual accounts beside the physical pool and the reserve, reconciled', async () => {
    await page.getByRole('button', { name: 'Storage', exact: true }).click();
    await page.getByTestId('accounts-table').waitFor();
    expect(await page.getByTestId('storage-reconciliation').textContent()).toBe('0.000 kWh');
    expect(number(await page.getByTestId('storage-reserve').textContent())).toBeGreaterThan(0);
    expect(number(await page.getByTestId('storage-stored').textContent())).toBeGreaterThan(0);
    await page.waitForFunction(
      () => /%/.test(document.querySelector('[data-testid=storage-live-soc]')?.textContent ?? ''),
      null,
      {
        timeout: 15_000,
      },
    );
    const rows = await page.locator('[data-testid=accounts-table] tbody tr').count();
    expect(rows).toBe(demoSite().members.filter((m) => m.poolSharePct > 0).length);
    await page.getByTestId('storage-chart').locator('canvas').first().waitFor();
    await page.screenshot({ path: path.join(resultsDir, 'storage.png'), fullPage: false });
  });

  it('shows the site KPIs over the period, a balanced money check and an intact ledger', async () => {
    await page.getByRole('button', { name: 'KPIs', exact: true }).click();
    await page.getByTestId('kpi-self-sufficiency').waitFor();
    const k = ledgerNow((l) => projectedKpis(l, 0, Number.MAX_SAFE_INTEGER));
    const shown = number(await page.getByTestId('kpi-local').textContent());
    expect(shown).toBeGreaterThanOrEqual(Math.round(k.localVolumeKWh * 10) / 10 - 0.05);
    expect(k.localVolumeKWh).toBeGreaterThan(10);
    expect(await page.getByTestId('kpi-self-sufficiency').textContent()).toMatch(/^\d+\.\d %$/);
    expect(number(await page.getByTestId('kpi-co2').textContent())).toBeGreaterThan(0);
    expect(await page.getByTestId('kpi-balance').textContent()).toMatch(/^[€]0\.0000$/);
    expect(number(await page.getByTestId('kpi-intervals').textContent())).toBeGreaterThanOrEqual(k.intervals);
    await page.getByTestId('ledger-verify').click();
    await page.getByTestId('ledger-verify-result').waitFor();
    expect(await page.getByTestId('ledger-verify-result').textContent()).toMatch(/^intact: \d+ entries/);
    await page.screenshot({ path: path.join(resultsDir, 'kpis.png'), fullPage: false });
  });

  it('raised no page error and fetched nothing from elsewhere', () => {
    expect(pageErrors).toEqual([]);
    expect(offsite).toEqual([]);
  });
});
