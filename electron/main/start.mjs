#!/usr/bin/env node
// `npm start`: the desktop app on the demo village. Where no Electron binary is installed and it
// cannot be downloaded (offline machines, ELECTRON_SKIP_BINARY_DOWNLOAD), it says so and serves
// the same console to a browser instead, so the command always shows a live site.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { downloadElectronBinary, installedElectronBinary } from './electron-binary.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

function run(command, args) {
  return new Promise((resolve) => {
    const child = spawn(command, args, { cwd: root, stdio: 'inherit' });
    child.on('exit', (code) => resolve(code ?? 1));
  });
}

async function electronBinary() {
  const installed = installedElectronBinary(root);
  if (installed || process.env.ELECTRON_SKIP_BINARY_DOWNLOAD) return { binary: installed, reason: '' };
  console.error('Downloading the Electron binary (once) ...');
  return downloadElectronBinary(root);
}

if (
  !existsSync(join(root, 'out', 'main', 'index.js')) ||
  !existsSync(join(root, 'out', 'renderer', 'index.html'))
) {
  const code = await run(process.execPath, [
    join(root, 'node_modules', 'electron-vite', 'bin', 'electron-vite.js'),
    'build',
  ]);
  if (code !== 0) process.exit(code);
}

const { binary, reason } = await electronBinary();
if (binary) {
  // better-sqlite3 is built for Node by `npm ci`; Electron needs it built for its own ABI.
  const probe = spawn(binary, ['-e', "require('better-sqlite3')"], {
    cwd: root,
    env: { ...process.env, ELECTRON_RUN_AS_NODE: '1' },
  });
  const loads = await new Promise((resolve) => probe.on('exit', (code) => resolve(code === 0)));
  if (!loads) {
    console.error(
      "Rebuilding better-sqlite3 for Electron's ABI (run `npm rebuild better-sqlite3` before `npm test` again).",
    );
    const code = await run(join(root, 'node_modules', '.bin', 'electron-builder'), ['install-app-deps']);
    if (code !== 0) process.exit(code);
  }
  process.exit(await run(binary, ['.', ...process.argv.slice(2)]));
} else {
  console.error(
    `No Electron binary is installed here (it was skipped or could not be downloaded${reason ? `: ${reason}` : ''}).`,
  );
  console.error('Starting the same console for a browser instead — open the address below.');
  process.exit(
    await run(process.execPath, [
      join(root, 'electron', 'cli', 'commonwatt.mjs'),
      'serve',
      ...process.argv.slice(2),
    ]),
  );
}
