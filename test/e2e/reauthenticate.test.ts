// A control action on a session that proved its password too long ago: the console asks for the
// password, a wrong one is refused in the prompt, the right one runs the action. Here the limit is
// 0.05 min (3 s) so the test does not wait a quarter of an hour.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCliWithInput } from '../fixtures/cli.ts';
import { openConsoleInBrowser, type ConsoleInBrowser } from '../fixtures/console-in-browser.ts';
import { repoRoot } from '../fixtures/paths.ts';

const resultsDir = path.join(repoRoot, 'test-results');
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cw-e2e-reauth-'));
const PASSWORD = 'shift-lead-pass-42';
let c: ConsoleInBrowser;
let page: Page;

beforeAll(async () => {
  fs.mkdirSync(resultsDir, { recursive: true });
  const added = await runCliWithInput(
    ['users', 'add', 'olga', '--role', 'operator', '--data', dataDir, '--password-stdin'],
    `${PASSWORD}\n`,
  );
  expect(added.code).toBe(0);
  c = await openConsoleInBrowser(['--data', dataDir, '--recent-sign-in-minutes', '0.05'], {}, false);
  page = c.page;
  await page.goto(c.served.url);
  const form = page.getByRole('form', { name: 'Sign in' });
  await form.getByLabel('User').fill('olga');
  await form.getByLabel('Password').fill(PASSWORD);
  await form.getByRole('button', { name: 'Sign in' }).click();
  await page.locator('.topbar').waitFor({ timeout: 20_000 });
});

afterAll(async () => {
  await c?.close();
  fs.rmSync(dataDir, { recursive: true, force: true });
});

describe('re-entering the password for a control action', () => {
  it('asks for the password once the session is older than the limit, then runs the action', async () => {
    expect(await page.locator('.session .badge').textContent()).toBe('olga · operator');
    await page.getByRole('button', { name: 'Control', exact: true }).click();
    await page.locator('[data-testid=control-mode][data-mode=grid-connected]').waitFor({ timeout: 20_000 });
    // Wait until the session's proof is older than 3 s, by the page's own clock.
    const signedInAt = Date.now();
    await page.waitForFunction((t) => Date.now() - t > 3500, signedInAt);
    const row = page.getByTestId('tier-3');
    await row.getByRole('button', { name: 'Shed' }).click();
    await page
      .getByTestId('confirm-panel')
      .getByText(/^Confirm: shed tier 3/)
      .waitFor();
    await page.getByTestId('confirm-command').click();

    const prompt = page.getByRole('form', { name: 'Confirm with your password' });
    await prompt.waitFor({ timeout: 10_000 });
    await prompt.getByLabel('password').fill('not-my-password');
    await prompt.getByRole('button', { name: 'Confirm' }).click();
    await prompt.getByRole('alert').filter({ hasText: 'wrong password' }).waitFor();
    await page.screenshot({ path: path.join(resultsDir, 'reauthenticate.png') });
    await prompt.getByLabel('password').fill(PASSWORD);
    await prompt.getByRole('button', { name: 'Confirm' }).click();
    await prompt.waitFor({ state: 'detached' });
    await row.getByText(/shed \(by hand\)/).waitFor({ timeout: 15_000 });
    expect(await page.getByTestId('audit-panel').textContent()).toMatch(/shed tier 3 by olga \(websocket\)/);
  });
});
