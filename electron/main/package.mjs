#!/usr/bin/env node
// `npm run package`: desktop packages with electron-builder. Rebuilds better-sqlite3 for
// Electron's ABI first; where no Electron binary is installed (CI, offline machines) it says so and
// stops, since neither step can be checked without one. Fuses are flipped by electron-builder
// from the `electronFuses` block of electron-builder.yml.
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { installedElectronBinary } from './electron-binary.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
if (!installedElectronBinary(root)) {
  console.error('Skipped packaging: no Electron binary is installed here, so better-sqlite3 cannot be');
  console.error(
    "rebuilt for Electron's ABI. Run `npm start` once where it can download Electron (or `npx install-electron`), then retry.",
  );
  process.exit(0);
}
const builder = join(root, 'node_modules', '.bin', 'electron-builder');
for (const args of [['install-app-deps'], ['--config', 'electron-builder.yml', ...process.argv.slice(2)]]) {
  const result = spawnSync(builder, args, { cwd: root, stdio: 'inherit' });
  if (result.status !== 0) process.exit(result.status ?? 1);
}
