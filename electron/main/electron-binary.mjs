// Where the Electron binary is, without fetching it. The `electron` package (45) has no install
// script: `require('electron')` downloads the binary on first use and throws when it cannot. `npm start` asks here first and downloads explicitly (unless
// ELECTRON_SKIP_BINARY_DOWNLOAD is set), so an offline machine falls back to the browser console
// with one clear message; packaging and the end-to-end test only look.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** The installed binary's path, or null; never downloads. */
export function installedElectronBinary(root) {
  const packageDir = join(root, 'node_modules', 'electron');
  let executable;
  try {
    executable = readFileSync(join(packageDir, 'path.txt'), 'utf8');
  } catch {
    return null;
  }
  const distDir = process.env.ELECTRON_OVERRIDE_DIST_PATH || join(packageDir, 'dist');
  const binary = join(distDir, executable);
  return existsSync(binary) ? binary : null;
}

/**
 * Runs the electron package's own installer (the download `require('electron')` would start),
 * quietly; resolves with the binary's path, or null with the installer's last line in `reason`.
 */
export function downloadElectronBinary(root) {
  const installer = join(root, 'node_modules', 'electron', 'install.js');
  if (!existsSync(installer))
    return Promise.resolve({ binary: null, reason: 'the electron package is not installed' });
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [installer], { cwd: root, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk) => {
      stderr = (stderr + chunk).slice(-4000);
    });
    child.on('error', (error) => resolve({ binary: null, reason: error.message }));
    child.on('exit', () => {
      const binary = installedElectronBinary(root);
      const lines = stderr.split('\n').filter((line) => line.trim() !== '');
      resolve({ binary, reason: binary ? '' : (lines[0] ?? 'the download failed').trim() });
    });
  });
}
