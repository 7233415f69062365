// The desktop app through Playwright's Electron driver. Runs where an Electron binary is
// installed; on machines without one (ELECTRON_SKIP_BINARY_DOWNLOAD) it is skipped, loudly.
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { _electron as electron } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../fixtures/paths.ts';

function electronBinary(): string | null {
  try {
    const binary = createRequire(import.meta.url)('electron') as unknown;
    return typeof binary === 'string' && fs.existsSync(binary) ? binary : null;
  } catch {
    return null;
  }
}

const binary = electronBinary();
if (!binary)
  console.warn('SKIPPED: Electron end-to-end tests — no Electron binary is installed on this machine.');

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
      await window.getByTestId('devices-online').filter({ hasText: '52 / 52' }).waitFor({ timeout: 30_000 });
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
