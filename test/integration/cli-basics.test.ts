// The `commonwatt` command line as a user meets it: help, and `validate` on good and bad files.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../fixtures/cli.ts';
import { demoSiteJson } from '../fixtures/demo-site.ts';
import { demoSitePath } from '../fixtures/paths.ts';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cw-cli-'));
const write = (name: string, text: string) => {
  const file = path.join(tmp, name);
  fs.writeFileSync(file, text);
  return file;
};

describe('commonwatt CLI', () => {
  it('prints help listing its commands', async () => {
    const r = await runCli(['--help']);
    expect(r.code).toBe(0);
    for (const verb of ['serve', 'validate', 'simulate', 'clear']) expect(r.stdout).toContain(verb);
  });

  it('rejects an unknown command with exit 2', async () => {
    const r = await runCli(['frobnicate']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("unknown command 'frobnicate'");
  });

  it('validates the demo village', async () => {
    const r = await runCli(['validate', demoSitePath]);
    expect(r).toMatchObject({ code: 0, stdout: 'valid\n' });
  });

  it('lists every problem of a broken site as json.path: message', async () => {
    const site = demoSiteJson() as Record<string, any>;
    site.members[2].bus = 'atlantis';
    site.topology.branches[1].ratingKVA = -1;
    const r = await runCli(['validate', write('broken.json', JSON.stringify(site))]);
    expect(r.code).toBe(1);
    expect(r.stdout.trim().split('\n').sort()).toEqual(
      [
        "members[2].bus: unknown bus 'atlantis'",
        'topology.branches[1].ratingKVA: must be a positive number of kVA',
      ].sort(),
    );
  });

  it('explains unreadable and non-JSON files without a stack trace', async () => {
    const notJson = await runCli(['validate', write('bad.json', '{ "format": ')]);
    expect(notJson.code).toBe(1);
    // File-level problems name the file, so a technician knows which one to open.
    expect(notJson.stdout).toMatch(/^\/.*bad\.json: not JSON: /);
    const missing = await runCli(['validate', path.join(tmp, 'nope.json')]);
    expect(missing.code).toBe(1);
    expect(missing.stdout).toBe(`${path.join(tmp, 'nope.json')}: cannot read the file: no such file\n`);
    for (const r of [notJson, missing]) expect(r.stdout + r.stderr).not.toMatch(/\bat .+:\d+:\d+/);
  });
});
