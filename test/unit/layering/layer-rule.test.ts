// The layer rule as `npm run lint` runs it: the repository's own eslint config, given a planted
// file inside a folder (lintText with that path; the file does not exist, so type information is
// turned off, which the layer rule does not need). A wrong import fails with layers/imports and a
// message naming both folders; a right one passes.
import fs from 'node:fs';
import { ESLint } from 'eslint';
import tseslint from 'typescript-eslint';
import { beforeAll, describe, expect, it } from 'vitest';
import { readLayerTable, repositoryRoot } from './layer-table.ts';

let eslint: ESLint;

beforeAll(async () => {
  eslint = new ESLint({
    cwd: repositoryRoot,
    overrideConfigFile: '.config/eslint.config.js',
    overrideConfig: [tseslint.configs.disableTypeChecked],
  });
  // The first lint loads the config, the parser and every plugin: seconds on a busy machine.
  await eslint.lintText('export {};\n', { filePath: `${repositoryRoot}/shared/warm-up.ts` });
}, 60_000);

/** The layer rule's messages for `code` as a file at `filePath` (repository-relative). */
async function layerErrors(filePath: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: `${repositoryRoot}/${filePath}` });
  const messages = result!.messages;
  // A parse error would hide the rule; none of these snippets may have one.
  expect(messages.filter((m) => m.fatal)).toEqual([]);
  return messages.filter((m) => m.ruleId === 'layers/imports').map((m) => m.message);
}

const DOMAINS = ['site', 'audit', 'auth', 'field', 'historian', 'live', 'control', 'market', 'sim'];

describe('the layer rule (layers/imports)', () => {
  it('refuses the market ledger under electron/field/', async () => {
    const errors = await layerErrors('electron/field/planted.ts', "import '../market/ledger.ts';\n");
    expect(errors).toHaveLength(1);
    expect(errors[0]).toContain('layer rule: electron/field/ may not import electron/market/');
    expect(errors[0]).toContain('field imports only audit, site, platform, shared');
  });

  it('refuses a Node built-in under shared/, with or without the node: prefix', async () => {
    const prefixed = await layerErrors('shared/market/planted.ts', "import 'node:fs';\n");
    expect(prefixed).toHaveLength(1);
    expect(prefixed[0]).toContain("layer rule: shared/ may not import 'node:fs'");
    expect(prefixed[0]).toContain('no Node built-ins');
    expect(
      await layerErrors('shared/planted.ts', "import path from 'path';\nexport const p = path;\n"),
    ).toHaveLength(1);
    expect(
      await layerErrors(
        'shared/planted.ts',
        "import Database from 'better-sqlite3';\nexport const d = Database;\n",
      ),
    ).toHaveLength(1);
  });

  it('refuses anything of ours under shared/', async () => {
    const errors = await layerErrors(
      'shared/api/planted.ts',
      "export * from '../../electron/platform/dispatch.ts';\n",
    );
    expect(errors).toEqual([
      expect.stringContaining('shared/ may not import electron/platform/') as unknown as string,
    ]);
  });

  it.each(DOMAINS)('refuses the composition root under electron/%s/', async (domain) => {
    const errors = await layerErrors(`electron/${domain}/planted.ts`, "import '../app/console-app.ts';\n");
    expect(errors).toHaveLength(1);
    expect(errors[0]).toContain(`electron/${domain}/ may not import electron/app/`);
  });

  it('catches type-only and dynamic imports, and re-exports', async () => {
    const code = [
      "import type { SitePhysics } from '../sim/site-physics.ts';",
      "export type { Ledger } from '../market/ledger.ts';",
      'export async function later(): Promise<unknown> {',
      "  return import('../historian/database.ts');",
      '}',
      'export type P = SitePhysics;',
      '',
    ].join('\n');
    const errors = await layerErrors('electron/control/planted.ts', code);
    expect(errors).toHaveLength(3);
    expect(errors.join('\n')).toMatch(/electron\/sim\/[\s\S]*electron\/market\/[\s\S]*electron\/historian\//);
  });

  it('resolves against the importing file: shared/market is not electron/market', async () => {
    const code =
      "import { clearUniform } from '../../shared/market/uniform-auction.ts';\nexport const c = clearUniform;\n";
    expect(await layerErrors('electron/field/planted.ts', code)).toEqual([]);
    // …and from a subfolder of a layer, its own folder and the layer below are still told apart.
    expect(await layerErrors('electron/field/sunspec/planted.ts', "import '../poller.ts';\n")).toEqual([]);
    expect(
      await layerErrors('electron/field/sunspec/planted.ts', "import '../../historian/database.ts';\n"),
    ).toHaveLength(1);
  });

  it('lets each layer import what the table lists', async () => {
    expect(await layerErrors('electron/control/planted.ts', "import '../field/poller.ts';\n")).toEqual([]);
    expect(await layerErrors('electron/market/planted.ts', "import '../historian/database.ts';\n")).toEqual(
      [],
    );
    expect(await layerErrors('electron/sim/planted.ts', "import '../field/sunspec/codec.ts';\n")).toEqual([]);
    expect(await layerErrors('electron/app/planted.ts', "import '../market/ledger.ts';\n")).toEqual([]);
    expect(await layerErrors('electron/cli/planted.ts', "import '../server/console-server.ts';\n")).toEqual(
      [],
    );
    expect(await layerErrors('renderer/src/planted.ts', "import '../../shared/api/contract.ts';\n")).toEqual(
      [],
    );
  });

  it('refuses the renderer reaching into the back end, and electron outside the shell', async () => {
    expect(
      await layerErrors('renderer/src/planted.ts', "import '../../electron/app/console-app.ts';\n"),
    ).toHaveLength(1);
    expect(await layerErrors('renderer/src/planted.ts', "import 'node:path';\n")).toHaveLength(1);
    expect(
      await layerErrors(
        'electron/historian/planted.ts',
        "import { app } from 'electron';\nexport const a = app;\n",
      ),
    ).toHaveLength(1);
    expect(
      await layerErrors(
        'electron/main/planted.ts',
        "import { app } from 'electron';\nexport const a = app;\n",
      ),
    ).toEqual([]);
  });

  it('has a layer for every folder under electron/', () => {
    const folders = fs
      .readdirSync(`${repositoryRoot}/electron`, { withFileTypes: true })
      .filter((e) => e.isDirectory())
      .map((e) => `electron/${e.name}`);
    const layered = new Set(readLayerTable().layers.map((l) => l.folder));
    expect(folders.filter((f) => !layered.has(f))).toEqual([]);
  });
});
