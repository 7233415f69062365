// The history view in Chromium against `commonwatt serve` on the demo village: a chart with data
// renders, dragging across it zooms in, and an export downloads a CSV with rows; a screenshot is
// kept in test-results/history.png for people to look at.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Served } from '../fixtures/cli.ts';
import { openConsoleInBrowser, type ConsoleInBrowser } from '../fixtures/console-in-browser.ts';
import { repoRoot } from '../fixtures/paths.ts';

const resultsDir = path.join(repoRoot, 'test-results');
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cw-e2e-history-'));
let c: ConsoleInBrowser;
let served: Served;
let page: Page;

beforeAll(async () => {
  fs.mkdirSync(resultsDir, { recursive: true });
  c = await openConsoleInBrowser(['--data', dataDir], { viewport: { width: 1500, height: 950 } });
  ({ served, page } = c);
  await page.goto(served.url);
  await page.getByTestId('devices-online').waitFor({ timeout: 30_000 });
});

afterAll(async () => {
  await c?.close();
  fs.rmSync(dataDir, { recursive: true, force: true });
});

/** Distinct colours drawn on the chart's canvas: an empty chart has its background and grid only. */
function chartColours(): Promise<number> {
  return page.locator('[data-testid=history-chart] canvas').evaluate((el: HTMLCanvasElement) => {
    const ctx = el.getContext('2d');
    if (!ctx) return -1;
    const { data } = ctx.getImageData(0, 0, el.width, el.height);
    const seen = new Set<number>();
    for (let i = 0; i < data.length; i += 4) seen.add((data[i]! << 16) | (data[i + 1]! << 8) | data[i + 2]!);
    return seen.size;
  });
}

/** Resolves once the browser has painted twice since the call: what just changed is on screen. */
function painted(): Promise<void> {
  return page.evaluate(
    () => new Promise<void>((resolve) => requestAnimationFrame(() => requestAnimationFrame(() => resolve()))),
  );
}

function storedPoints(text: string): number {
  return Number(/([\d,]+) stored points/.exec(text)?.[1]?.replace(/,/g, '') ?? 0);
}

describe('history view', () => {
  it('charts a member and the site with data from the historian', async () => {
    await page.getByRole('button', { name: 'History', exact: true }).click();
    await page.getByRole('button', { name: '15 min' }).click();
    await page.getByLabel('kind').selectOption('member');
    await page.getByLabel('what').selectOption('clinic');
    await page.getByRole('button', { name: 'Add' }).click();
    const meta = page.getByTestId('history-meta');
    // The historian fills as the console runs: re-read the range (the 15 min button reloads it)
    // until it holds a few samples, instead of sleeping before the view asks.
    await expect
      .poll(
        async () => {
          const n = storedPoints(await meta.innerText());
          if (n <= 2) await page.getByRole('button', { name: '15 min' }).click();
          return n;
        },
        { timeout: 30_000, interval: 1000 },
      )
      .toBeGreaterThan(2);
    await expect.poll(() => chartColours(), { timeout: 10_000 }).toBeGreaterThan(20);
    const legend = await page.locator('[data-testid=history-chart] .u-legend').innerText();
    expect(legend).toContain('Health clinic · Power');
    expect(legend).toContain('Site (PCC) · Power');
    expect(await page.getByTestId('history-resolution').innerText()).toBe('raw');
    // Live values keep arriving on top of the stored ones.
    await expect
      .poll(async () => /(\d+) live/.exec(await meta.innerText())?.[1] ?? '0', { timeout: 10_000 })
      .not.toBe('0');
  });

  it('zooms to a range dragged across the chart', async () => {
    const range = page.locator('.history-toolbar .range');
    const before = await range.innerText();
    const over = page.locator('[data-testid=history-chart] .u-over');
    const box = (await over.boundingBox())!;
    await page.mouse.move(box.x + box.width * 0.55, box.y + box.height / 2);
    await page.mouse.down();
    await page.mouse.move(box.x + box.width * 0.75, box.y + box.height / 2, { steps: 8 });
    await page.mouse.up();
    await expect.poll(() => range.innerText()).not.toBe(before);
    expect(await page.getByRole('checkbox', { name: 'live' }).isChecked()).toBe(false);
  });

  it('exports what is shown as a CSV file, with progress', async () => {
    await page.getByRole('button', { name: '15 min' }).click();
    await page.getByLabel('export resolution').selectOption('raw');
    const download = page.waitForEvent('download', { timeout: 30_000 });
    await page.getByRole('button', { name: 'Export' }).click();
    const file = await download;
    expect(file.suggestedFilename()).toMatch(
      /^commonwatt-clinic-raw-\d{4}-\d{2}-\d{2}-\d{4}-\d{2}-\d{2}\.csv$/,
    );
    const text = fs.readFileSync((await file.path())!, 'utf8');
    const lines = text.trim().split('\n');
    expect(lines[0]).toBe('time,device,member,quantity,unit,value,quality');
    expect(lines.length).toBeGreaterThan(10);
    expect(lines[1]).toMatch(
      /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}[+-]\d{2}:\d{2},clinic-meter,clinic,/,
    );
    await expect.poll(() => page.locator('.export-state').innerText()).toMatch(/100 % · [\d,]+ rows · done/);
    await painted();
    await page.screenshot({ path: path.join(resultsDir, 'history.png') });
    expect(c.pageErrors).toEqual([]);
  });
});
