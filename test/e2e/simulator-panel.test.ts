// Grid loss from the Control view's simulator panel, in Chromium against `commonwatt serve`: the
// controller detects it from the PCC meter, opens the breaker and forms the island, and starts
// resynchronising when the grid comes back. The screenshot is kept for people to look at.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Served } from '../fixtures/cli.ts';
import { openConsoleInBrowser, type ConsoleInBrowser } from '../fixtures/console-in-browser.ts';
import { repoRoot } from '../fixtures/paths.ts';

const resultsDir = path.join(repoRoot, 'test-results');
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cw-e2e-sim-'));
let c: ConsoleInBrowser;
let served: Served;
let page: Page;

beforeAll(async () => {
  fs.mkdirSync(resultsDir, { recursive: true });
  c = await openConsoleInBrowser(['--data', dataDir]);
  ({ served, page } = c);
  await page.goto(served.url);
});

afterAll(async () => {
  await c?.close();
  fs.rmSync(dataDir, { recursive: true, force: true });
});

const modeShown = (mode: string) => page.locator(`[data-testid=control-mode][data-mode=${mode}]`);

describe('simulator panel', () => {
  it('cuts the grid: the controller islands the site on its own', async () => {
    await page.getByRole('button', { name: 'Control', exact: true }).click();
    await modeShown('grid-connected').waitFor({ timeout: 20_000 });
    await page.getByTestId('simulator-panel').waitFor();
    await page.getByTestId('sim-grid-toggle').click();
    await page.getByTestId('sim-grid').filter({ hasText: 'lost' }).waitFor();
    await modeShown('islanded').waitFor({ timeout: 15_000 });
    await page
      .getByTestId('breaker-state')
      .filter({ hasText: /^open$/ })
      .waitFor();
    expect(await page.getByTestId('active-alarms').textContent()).toMatch(/1 active alarm/);
    await page.screenshot({ path: path.join(resultsDir, 'control-grid-loss.png') });
  });

  it('restores the grid: the controller waits for it to be stable before reconnecting', async () => {
    await page.getByTestId('sim-grid-toggle').click();
    await modeShown('resynchronising').waitFor({ timeout: 15_000 });
    await page
      .getByTestId('breaker-state')
      .filter({ hasText: /^open$/ })
      .waitFor();
  });
});
