// The site store: saves keep versioned backups (contents, who, pruning at N), refused changes leave
// the file alone, subscribers hear of each save, and the file is read with a bound.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readSiteText, SiteLoadError } from '../../../../electron/site/site-file.ts';
import { SiteStore, type SiteChange, type SitePatch } from '../../../../electron/site/site-store.ts';
import { demoSiteJson } from '../../../fixtures/demo-site.ts';
import { demoSitePath } from '../../../fixtures/paths.ts';

let dir: string;
let siteFile: string;
let dataDir: string;

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cw-site-store-'));
  siteFile = path.join(dir, 'village.json');
  dataDir = path.join(dir, 'data');
  fs.writeFileSync(siteFile, `${JSON.stringify(demoSiteJson(), null, 2)}\n`);
});

afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

const renameSite =
  (name: string): SitePatch =>
  (doc) => {
    (doc.site as Record<string, unknown>).name = name;
    return [];
  };

describe('versioned backups', () => {
  it('three saves keep the three earlier files, with who saved and when', () => {
    let now = Date.parse('2026-06-21T19:00:00.000Z');
    const store = SiteStore.load(siteFile, { dataDir, now: () => now });
    const versions = [fs.readFileSync(siteFile, 'utf8')];
    for (const [i, actor] of ['ana', 'bruno', 'carla'].entries()) {
      now += 60_000;
      const saved = store.save(renameSite(`Village v${i + 2}`), actor);
      expect(saved.ok).toBe(true);
      versions.push(fs.readFileSync(siteFile, 'utf8'));
    }
    const backups = store.backups();
    expect(backups.map((b) => b.seq)).toEqual([1, 2, 3]);
    expect(backups.map((b) => b.actor)).toEqual(['ana', 'bruno', 'carla']);
    expect(backups.map((b) => new Date(b.savedAtMs).toISOString())).toEqual([
      '2026-06-21T19:01:00.000Z',
      '2026-06-21T19:02:00.000Z',
      '2026-06-21T19:03:00.000Z',
    ]);
    // Each backup is the file that save replaced, byte for byte.
    backups.forEach((b, i) => expect(fs.readFileSync(b.file, 'utf8')).toBe(versions[i]));
    expect(path.dirname(backups[0]!.file)).toBe(path.join(dataDir, 'site-backups'));
    expect(path.basename(backups[0]!.file)).toBe('village.000001.20260621T190100000Z.json');
    expect(JSON.parse(fs.readFileSync(siteFile, 'utf8')).site.name).toBe('Village v4');
    expect(store.current().site.name).toBe('Village v4');
  });

  it('keeps only the newest N', () => {
    const store = SiteStore.load(siteFile, { dataDir, keepBackups: 2 });
    const names: string[] = [fs.readFileSync(siteFile, 'utf8')];
    for (const name of ['B', 'C', 'D']) {
      expect(store.save(renameSite(name), 'ana').ok).toBe(true);
      names.push(fs.readFileSync(siteFile, 'utf8'));
    }
    const backups = store.backups();
    // Saves 2 and 3 replaced versions B and C; the first backup (the original) was dropped.
    expect(backups.map((b) => b.seq)).toEqual([2, 3]);
    expect(backups.map((b) => JSON.parse(fs.readFileSync(b.file, 'utf8')).site.name)).toEqual(['B', 'C']);
    expect(fs.readdirSync(path.join(dataDir, 'site-backups')).sort()).toHaveLength(4); // .json + .meta each
  });
});

describe('saving', () => {
  it('refuses an invalid change with its problems and leaves the file and the site alone', () => {
    const store = SiteStore.load(siteFile, { dataDir });
    const before = fs.readFileSync(siteFile, 'utf8');
    const heard: SiteChange[] = [];
    store.subscribe((c) => heard.push(c));
    const saved = store.save((doc) => {
      (doc.members as Array<Record<string, unknown>>)[0]!.shedRelais = 'relay-x';
      return [];
    }, 'ana');
    expect(saved).toEqual({
      ok: false,
      problems: [
        {
          path: 'members[0].shedRelais',
          message: "unknown key 'shedRelais': not part of the site format (a misspelt key?)",
        },
      ],
    });
    expect(fs.readFileSync(siteFile, 'utf8')).toBe(before);
    expect(store.backups()).toEqual([]);
    expect(heard).toEqual([]);
  });

  it('tells subscribers the saved site and who saved it', () => {
    const store = SiteStore.load(siteFile, { dataDir, now: () => 1234 });
    const heard: SiteChange[] = [];
    const stop = store.subscribe((c) => heard.push(c));
    store.save(renameSite('Renamed'), 'bruno');
    stop();
    store.save(renameSite('Again'), 'bruno');
    expect(heard).toHaveLength(1);
    expect(heard[0]).toMatchObject({ actor: 'bruno', timeMs: 1234 });
    expect(heard[0]!.site.site.name).toBe('Renamed');
  });

  it('never writes the bundled demo site', () => {
    const store = SiteStore.load(demoSitePath, { dataDir });
    expect(store.access()).toMatchObject({
      writable: false,
      reason: expect.stringMatching(/read-only.*--site/),
    });
    const saved = store.save(renameSite('nope'), 'ana');
    expect(saved.ok).toBe(false);
    expect(fs.existsSync(path.join(dataDir, 'site-backups'))).toBe(false);
  });
});

describe('reading with a bound', () => {
  const problemOf = (fn: () => unknown): string => {
    try {
      fn();
    } catch (error) {
      if (error instanceof SiteLoadError) return error.problems.map((p) => p.message).join('; ');
      throw error;
    }
    return 'no problem';
  };

  it('refuses a device, a directory, an oversized file and text that is not UTF-8', () => {
    expect(problemOf(() => readSiteText('/dev/zero'))).toMatch(/not a regular file/);
    expect(problemOf(() => readSiteText(dir))).toMatch(/is a directory/);
    expect(problemOf(() => readSiteText(siteFile, 1000))).toMatch(/over the 1000-byte limit/);
    const latin1 = path.join(dir, 'latin1.json');
    fs.writeFileSync(latin1, Buffer.from([0x7b, 0x22, 0xe9, 0x22, 0x7d]));
    expect(problemOf(() => readSiteText(latin1))).toBe('not UTF-8 text');
    expect(problemOf(() => readSiteText(path.join(dir, 'missing.json')))).toBe(
      'cannot read the file: no such file',
    );
  });

  it('reads a file of exactly the limit', () => {
    const size = fs.statSync(siteFile).size;
    expect(readSiteText(siteFile, size)).toBe(fs.readFileSync(siteFile, 'utf8'));
  });
});
