// The desktop app through Playwright's Electron driver. Runs where an Electron binary is
// installed (`npm start` downloads it once where it can); elsewhere it is skipped, loudly. It only
// looks for the binary: it never starts a download.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { _electron as electron } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { installedElectronBinary } from '../../electron/main/electron-binary.mjs';
import { demoSite } from '../fixtures/demo-site.ts';
import { repoRoot } from '../fixtures/paths.ts';

const binary = installedElectronBinary(repoRoot);
if (!binary)
  console.warn(
    'SKIPPED: Electron end-to-end tests — no Electron binary is installed on this machine ' +
      '(node_modules/electron has no dist/; run `npm start` once where it can download one).',
  );

const devices = demoSite().devices.length;

describe.skipIf(!binary)('desktop app (Electron)', () => {
  it('opens a locked-down window on the live demo village', async () => {
    const userData = fs.mkdtempSync(path.join(os.tmpdir(), 'cw-electron-'));
    const app = await electron.launch({
      executablePath: binary ?? undefined,
      args: [repoRoot, `--user-data-dir=${userData}`],
      cwd: repoRoot,
    });
    try {
      const window = await app.firstWindow();
      expect(window.url()).toBe('app://console/index.html');
      await window
        .getByTestId('devices-online')
        .filter({ hasText: `${devices} / ${devices}` })
        .waitFor({ timeout: 30_000 });
      // The renderer has no Node: the bridge is the only way out.
      expect(await window.evaluate(() => typeof (globalThis as { require?: unknown }).require)).toBe(
        'undefined',
      );
      expect(
        await window.evaluate(() => typeof (window as unknown as { commonwatt?: unknown }).commonwatt),
      ).toBe('object');
      await window.screenshot({ path: path.join(repoRoot, 'test-results', 'electron-overview.png') });
    } finally {
      await app.close();
      fs.rmSync(userData, { recursive: true, force: true });
    }
  });
});
