// The packaging configuration as electron-builder reads it: the file is valid against
// electron-builder's own schema (a misspelt fuse is an error there, not silently ignored), and
// electron-builder turns its `electronFuses` block into exactly the fuse wire we expect.
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../../../fixtures/paths.ts';

// electron-builder's own modules (dependencies of it, so present wherever it is installed).
const require = createRequire(import.meta.url);
const yaml = require('js-yaml') as { load(text: string): unknown };
const { validateConfiguration } = require('app-builder-lib/out/util/config/config.js') as {
  validateConfiguration: (config: unknown, logger: unknown) => Promise<void>;
};
const { DebugLogger } = require('builder-util') as { DebugLogger: new (enabled: boolean) => unknown };
const { PlatformPackager } = require('app-builder-lib') as {
  PlatformPackager: { prototype: { generateFuseConfig(fuses: unknown): Promise<Record<string, unknown>> } };
};
const { FuseV1Options } = require('@electron/fuses') as { FuseV1Options: Record<string, number> };

const config = yaml.load(fs.readFileSync(path.join(repoRoot, 'electron-builder.yml'), 'utf8')) as {
  electronFuses: Record<string, boolean>;
  electronVersion?: string;
};

describe('electron-builder.yml', () => {
  it("is valid against electron-builder's schema", { timeout: 30_000 }, async () => {
    await expect(validateConfiguration(config, new DebugLogger(false))).resolves.toBeUndefined();
    const misspelt = { ...config, electronFuses: { ...config.electronFuses, runAsNod: false } };
    await expect(validateConfiguration(misspelt, new DebugLogger(false))).rejects.toThrow(/electronFuses/);
  });

  it('flips each fuse the security checklist asks for', async () => {
    const wire = await PlatformPackager.prototype.generateFuseConfig.call({}, config.electronFuses);
    const fuse = (name: string) => {
      const index = FuseV1Options[name];
      if (index === undefined) throw new Error(`@electron/fuses has no fuse ${name}`);
      return wire[index];
    };
    expect(fuse('RunAsNode')).toBe(false);
    expect(fuse('EnableNodeOptionsEnvironmentVariable')).toBe(false);
    expect(fuse('EnableNodeCliInspectArguments')).toBe(false);
    expect(fuse('EnableCookieEncryption')).toBe(true);
    expect(fuse('OnlyLoadAppFromAsar')).toBe(true);
    expect(fuse('EnableEmbeddedAsarIntegrityValidation')).toBe(true);
    expect(fuse('GrantFileProtocolExtraPrivileges')).toBe(false);
  });
});

describe('the Electron version', () => {
  const pkg = JSON.parse(fs.readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as {
    devDependencies: Record<string, string>;
  };
  const lock = JSON.parse(fs.readFileSync(path.join(repoRoot, 'package-lock.json'), 'utf8')) as {
    packages: Record<string, { version: string }>;
  };

  it('is a supported major (43-45 on 2026-12-03), the same in package.json and the lock', () => {
    const locked = lock.packages['node_modules/electron']?.version ?? '';
    expect(Number(locked.split('.')[0])).toBeGreaterThanOrEqual(43);
    expect(pkg.devDependencies.electron?.replace(/^\^/, '').split('.')[0]).toBe(locked.split('.')[0]);
    // electron-builder reads the installed package's version; a pinned copy here would drift.
    expect(config.electronVersion).toBeUndefined();
  });
});
