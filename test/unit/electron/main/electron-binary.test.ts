import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  downloadElectronBinary,
  installedElectronBinary,
} from '../../../../electron/main/electron-binary.mjs';

const roots: string[] = [];
afterEach(() => {
  for (const root of roots.splice(0)) fs.rmSync(root, { recursive: true, force: true });
});

/** A project root whose node_modules/electron holds `files` (path relative to the package). */
function projectWith(files: Record<string, string>): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'cw-electron-bin-'));
  roots.push(root);
  for (const [name, text] of Object.entries(files)) {
    const file = path.join(root, 'node_modules', 'electron', name);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, text);
  }
  return root;
}

describe('finding the Electron binary', () => {
  it('finds an installed binary from path.txt', () => {
    const root = projectWith({ 'path.txt': 'electron', 'dist/electron': '' });
    expect(installedElectronBinary(root)).toBe(
      path.join(root, 'node_modules', 'electron', 'dist', 'electron'),
    );
  });

  it('answers null, without downloading, where the package has no binary', () => {
    expect(installedElectronBinary(projectWith({ 'index.js': '' }))).toBeNull();
    expect(installedElectronBinary(projectWith({ 'path.txt': 'electron' }))).toBeNull();
  });

  it("reports a failed download with the installer's first line", async () => {
    const root = projectWith({
      'install.js': "console.error('RequestError: getaddrinfo ENOTFOUND github.com'); process.exit(1);",
    });
    expect(await downloadElectronBinary(root)).toEqual({
      binary: null,
      reason: 'RequestError: getaddrinfo ENOTFOUND github.com',
    });
  });

  it('finds the binary a successful download installed', async () => {
    const root = projectWith({
      'install.js': [
        "const fs = require('node:fs'); const path = require('node:path');",
        "fs.mkdirSync(path.join(__dirname, 'dist'), { recursive: true });",
        "fs.writeFileSync(path.join(__dirname, 'dist', 'electron'), '');",
        "fs.writeFileSync(path.join(__dirname, 'path.txt'), 'electron');",
      ].join('\n'),
    });
    expect(await downloadElectronBinary(root)).toEqual({
      binary: path.join(root, 'node_modules', 'electron', 'dist', 'electron'),
      reason: '',
    });
  });
});
