// Signing in, in Chromium, as a person would on a fresh installation: the page without a
// session shows only the sign-in form; the one-time link printed by `serve` signs the first admin
// in, who sets a password; another browser signs in with that password after three wrong tries,
// and the audit view lists those tries. Screenshots are kept for people to look at.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../fixtures/browser.ts';
import { startServe, type Served } from '../fixtures/cli.ts';
import { repoRoot } from '../fixtures/paths.ts';

const resultsDir = path.join(repoRoot, 'test-results');
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cw-e2e-sign-in-'));
const PASSWORD = 'village-grid-2026!';
let served: Served;
let browser: Browser;

beforeAll(async () => {
  fs.mkdirSync(resultsDir, { recursive: true });
  served = await startServe(['--data', dataDir]);
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await served?.stop();
  fs.rmSync(dataDir, { recursive: true, force: true });
});

describe('signing in', () => {
  it('shows only the sign-in form to a page without a session', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    await page.goto(served.url);
    await page.getByRole('form', { name: 'Sign in' }).waitFor();
    expect(await page.locator('.topbar').count()).toBe(0);
    await page.close();
  });

  it('signs the first admin in through the printed link, who then sets a password', async () => {
    const link = served.signInLink();
    expect(link).toMatch(/\/auth\/link\?token=/);
    const page = await browser.newPage({ viewport: { width: 1600, height: 900 } });
    await page.goto(link!);
    await page.locator('.topbar').waitFor({ timeout: 20_000 });
    expect(await page.locator('.session .badge').textContent()).toBe('admin · admin');
    const banner = page.locator('form.set-password');
    await banner.waitFor();
    await page.screenshot({ path: path.join(resultsDir, 'sign-in-first-admin.png') });
    // Too short first: the console says why.
    await banner.getByLabel('new password', { exact: true }).fill('short');
    await banner.getByLabel('repeat the new password').fill('short');
    await banner.getByRole('button', { name: 'Set password' }).click();
    await banner
      .getByRole('alert')
      .filter({ hasText: /at least 12 characters/ })
      .waitFor();
    await banner.getByLabel('new password', { exact: true }).fill(PASSWORD);
    await banner.getByLabel('repeat the new password').fill(PASSWORD);
    await banner.getByRole('button', { name: 'Set password' }).click();
    await banner.waitFor({ state: 'detached' });
    await page.close();
  });

  it('refuses three wrong passwords with a message, then signs in with the right one', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const page = await context.newPage();
    await page.goto(served.url);
    const form = page.getByRole('form', { name: 'Sign in' });
    for (let i = 1; i <= 3; i++) {
      await form.getByLabel('User').fill('admin');
      await form.getByLabel('Password').fill(`wrong-password-${i}`);
      await form.getByRole('button', { name: 'Sign in' }).click();
      // The form empties the password field when the answer arrives, then says why.
      await expect.poll(() => form.getByLabel('Password').inputValue(), { timeout: 10_000 }).toBe('');
      await form.getByRole('alert').filter({ hasText: 'wrong user name or password' }).waitFor();
    }
    await page.screenshot({ path: path.join(resultsDir, 'sign-in-refused.png') });
    await form.getByLabel('Password').fill(PASSWORD);
    await form.getByRole('button', { name: 'Sign in' }).click();
    await page.locator('.topbar').waitFor({ timeout: 20_000 });

    // The audit view lists the three refusals, with the address and without any password.
    await page.getByRole('button', { name: 'Audit', exact: true }).click();
    await page.getByRole('combobox').nth(0).selectOption('auth/');
    await page.getByRole('button', { name: 'Show' }).click();
    const refused = page.locator('.audit-table tr.result-refused').filter({ hasText: 'auth/sign-in' });
    await refused.nth(2).waitFor();
    expect(await refused.count()).toBe(3);
    const text = await page.locator('.audit-table').textContent();
    expect(text).toContain('sign in as admin');
    expect(text).not.toContain('wrong-password');
    await page.screenshot({ path: path.join(resultsDir, 'audit-view.png') });

    // Signing out brings the form back, and the old cookie opens nothing.
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('form', { name: 'Sign in' }).waitFor();
    await context.close();
  });
});
