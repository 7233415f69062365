#!/usr/bin/env node
// `npm run package`: desktop packages with electron-builder. Rebuilds better-sqlite3 for
// Electron's ABI first; where no Electron binary exists (CI, offline machines) it says so and
// stops, since neither step can work without one.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const require = createRequire(import.meta.url);
let binary = null;
try {
  binary = require('electron');
} catch {
  binary = null;
}
if (typeof binary !== 'string' || !existsSync(binary)) {
  console.error('Skipped packaging: no Electron binary is installed here, so better-sqlite3 cannot be');
  console.error(
    "rebuilt for Electron's ABI. Install Electron (without ELECTRON_SKIP_BINARY_DOWNLOAD) and retry.",
  );
  process.exit(0);
}
const builder = join(root, 'node_modules', '.bin', 'electron-builder');
for (const args of [['install-app-deps'], ['--config', 'electron-builder.yml', ...process.argv.slice(2)]]) {
  const result = spawnSync(builder, args, { cwd: root, stdio: 'inherit' });
  if (result.status !== 0) process.exit(result.status ?? 1);
}
