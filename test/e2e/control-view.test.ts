// The control view in Chromium against `commonwatt serve` on the demo village: an unsafe command
// shows its refusal reason, a planned island is proposed, confirmed and carried out, the mode
// and breaker change on screen and in the 3D overview; screenshots are kept for people to look at.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Served } from '../fixtures/cli.ts';
import { openConsoleInBrowser, type ConsoleInBrowser } from '../fixtures/console-in-browser.ts';
import { repoRoot } from '../fixtures/paths.ts';

const resultsDir = path.join(repoRoot, 'test-results');
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cw-e2e-control-'));
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

const mode = () => page.getByTestId('control-mode');

/** Resolves once the browser has painted twice since the call: what just changed is on screen. */
function painted(): Promise<void> {
  return page.evaluate(
    () => new Promise<void>((resolve) => requestAnimationFrame(() => requestAnimationFrame(() => resolve()))),
  );
}

/** Distinct colours in the 3D canvas (sampled): an empty or unrendered canvas has one or two. */
function topologyColours(): Promise<number> {
  return page.locator('[data-testid=topology] canvas').evaluate((el: HTMLCanvasElement) => {
    const gl = el.getContext('webgl2') ?? el.getContext('webgl');
    if (!gl) return -1;
    const pixels = new Uint8Array(gl.drawingBufferWidth * gl.drawingBufferHeight * 4);
    gl.readPixels(0, 0, gl.drawingBufferWidth, gl.drawingBufferHeight, gl.RGBA, gl.UNSIGNED_BYTE, pixels);
    const seen = new Set<number>();
    for (let i = 0; i < pixels.length; i += 4 * 97)
      seen.add((pixels[i]! << 16) | (pixels[i + 1]! << 8) | pixels[i + 2]!);
    return seen.size;
  });
}
/** Set once the planned island has been carried out; the later steps need it. */
let islandedOnScreen = false;

describe('control view', () => {
  it('shows the controller grid-connected with the PCC breaker closed', async () => {
    await page.getByRole('button', { name: 'Control', exact: true }).click();
    await page.locator('[data-testid=control-mode][data-mode=grid-connected]').waitFor({ timeout: 20_000 });
    await page
      .getByTestId('breaker-state')
      .filter({ hasText: /^closed$/ })
      .waitFor({ timeout: 20_000 });
    expect(await page.getByTestId('current-mode-node').getAttribute('data-mode')).toBe('grid-connected');
  });

  it('refuses an unsafe command and says why', async () => {
    await page.getByTestId('action-reconnect').click();
    const panel = page.getByTestId('confirm-panel');
    await panel.getByText(/^Refused:/).waitFor();
    expect(await panel.getByTestId('check-reason').textContent()).toMatch(/already grid-connected/);
    expect(await page.getByTestId('confirm-command').isDisabled()).toBe(true);
    await panel.getByRole('button', { name: 'Close' }).click();
    await panel.waitFor({ state: 'detached' });
  });

  it('islands on the operator\u2019s confirmation', async () => {
    await page.getByTestId('action-island').click();
    const panel = page.getByTestId('confirm-panel');
    await panel.getByText(/^(Confirm|Refused):/).waitFor();
    if (await panel.getByTestId('check-reason').count())
      console.log(`e2e: island check says: ${await panel.getByTestId('check-reason').textContent()}`);
    // The demo village's net load stays within the pool's rating at every hour: no refusal expected.
    expect(await panel.locator('.confirm-title').textContent()).toMatch(/^Confirm: island/);
    expect(await mode().getAttribute('data-mode')).toBe('grid-connected');
    await page.getByTestId('confirm-command').click();
    await page
      .locator(
        '[data-testid=control-mode][data-mode=planned-islanding], [data-testid=control-mode][data-mode=islanded]',
      )
      .waitFor({ timeout: 15_000 });
    await page.locator('[data-testid=control-mode][data-mode=islanded]').waitFor({ timeout: 60_000 });
    await page
      .getByTestId('breaker-state')
      .filter({ hasText: /^open$/ })
      .waitFor({ timeout: 10_000 });
    expect(await page.getByTestId('current-mode-node').getAttribute('data-mode')).toBe('islanded');
    islandedOnScreen = true;
    expect(await page.getByTestId('events-panel').textContent()).toMatch(
      /PCC breaker opened at -?\d+\.\d+ kW/,
    );
    expect(await page.getByTestId('audit-panel').textContent()).toMatch(/ok.*island by admin \(websocket\)/);
  });

  it('sheds a tier by hand while islanded', async () => {
    expect(islandedOnScreen).toBe(true);
    const row = page.getByTestId('tier-3');
    await row.getByRole('button', { name: 'Shed' }).click();
    await page
      .getByTestId('confirm-panel')
      .getByText(/^Confirm: shed tier 3/)
      .waitFor();
    await page.getByTestId('confirm-command').click();
    await row.getByText(/shed \(by hand\)/).waitFor({ timeout: 15_000 });
    expect(await page.getByTestId('command-outcome').textContent()).toMatch(/shed tier 3: accepted/);
    await painted();
    await page.screenshot({ path: path.join(resultsDir, 'control-islanded.png') });
  });

  it('shows the island in the 3D overview', async () => {
    await page.getByRole('button', { name: 'Overview', exact: true }).click();
    const badge = page.getByTestId('topology-mode');
    await badge.waitFor({ timeout: 10_000 });
    await badge.getByText(/members shed/).waitFor({ timeout: 10_000 });
    expect(await badge.getAttribute('data-mode')).toBe('islanded');
    expect(await badge.textContent()).toMatch(/Islanded.*breaker open · \d+ members shed/);
    await page.locator('[data-testid=topology] canvas').waitFor();
    await expect.poll(() => topologyColours(), { timeout: 15_000 }).toBeGreaterThan(20);
    await painted();
    await page.screenshot({ path: path.join(resultsDir, 'overview-islanded.png') });
    expect(c.pageErrors).toEqual([]);
  });
});
