// `commonwatt validate` as a user runs it: a misspelt key and a made-up timezone are errors with
// their JSON paths, and a path that is no site file (/dev/zero) is refused at once.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../fixtures/cli.ts';
import { demoSiteJson } from '../fixtures/demo-site.ts';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cw-validate-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function write(name: string, doc: unknown): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, JSON.stringify(doc, null, 2));
  return file;
}

describe('commonwatt validate', () => {
  it('rejects an unknown key, naming its path', async () => {
    const doc = demoSiteJson() as Record<string, any>;
    const i = doc.members.findIndex((m: any) => m.id === 'clinic');
    doc.members[i].shedRelais = doc.members[i].shedRelay ?? 'relay';
    delete doc.members[i].shedRelay;
    const result = await runCli(['validate', write('typo.json', doc)]);
    expect(result.code).toBe(1);
    expect(result.stdout.trim()).toBe(
      `members[${i}].shedRelais: unknown key 'shedRelais': not part of the site format (a misspelt key?)`,
    );
  });

  it('rejects a timezone that is not IANA', async () => {
    const doc = demoSiteJson() as Record<string, any>;
    doc.site.timezone = 'Mars/Olympus';
    const result = await runCli(['validate', write('mars.json', doc)]);
    expect(result.code).toBe(1);
    expect(result.stdout.trim()).toBe(
      'site.timezone: must be an IANA time zone such as Europe/Lisbon or UTC',
    );
  });

  it('refuses /dev/zero quickly, without reading it', async () => {
    const started = Date.now();
    // Before the bound, this read grew to 2 GB; 20 s is far above the CLI's start-up time.
    const result = await runCli(['validate', '/dev/zero'], 20_000);
    expect(result.code).toBe(1);
    expect(result.stdout.trim()).toBe(
      '/dev/zero: not a regular file (a device, pipe or socket): give the path of a site file',
    );
    expect(Date.now() - started).toBeLessThan(20_000);
  });

  it('still says valid for the demo and the off-grid village', async () => {
    for (const file of ['resources/sites/demo-village.json', 'resources/sites/off-grid-village.json']) {
      const result = await runCli(['validate', file]);
      expect({ file, code: result.code, out: result.stdout.trim() }).toEqual({ file, code: 0, out: 'valid' });
    }
  });
});
