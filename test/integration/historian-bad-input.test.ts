// Bad historian files and directories: a file that is not SQLite, another program's database, a
// newer schema, a damaged historian and a read-only directory each give one clear line and leave
// every byte as it was. (A full disk is in historian-writer.test.ts: it needs a size limit a
// test can set without root, SQLite's max_page_count.)
import Database from 'better-sqlite3';
import { execFile } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { APPLICATION_ID, HistorianOpenError, openHistorianDb } from '../../electron/historian/database.ts';
import { SampleWriter } from '../../electron/historian/sample-writer.ts';
import { runCli, type CliResult } from '../fixtures/cli.ts';
import { cliPath, repoRoot } from '../fixtures/paths.ts';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'cw-hist-bad-'));
afterAll(() => {
  for (const dir of fs.readdirSync(root)) fs.chmodSync(path.join(root, dir), 0o755);
  fs.rmSync(root, { recursive: true, force: true });
});

function dataDir(name: string): string {
  const dir = path.join(root, name);
  fs.mkdirSync(dir);
  return dir;
}

/** Every file of the directory with the hash of its bytes. */
function snapshot(dir: string): Record<string, string> {
  return Object.fromEntries(
    fs
      .readdirSync(dir)
      .sort()
      .map((f) => [
        f,
        crypto
          .createHash('sha256')
          .update(fs.readFileSync(path.join(dir, f)))
          .digest('hex'),
      ]),
  );
}

/** A historian with a few minutes of samples, closed cleanly. */
function realHistorian(dir: string): void {
  const db = openHistorianDb(dir);
  const writer = new SampleWriter(db, { rollups: { timeZone: 'UTC', intervalMinutes: 15 } });
  const t0 = Date.UTC(2026, 0, 1);
  for (let n = 0; n < 600; n++) {
    for (let d = 0; d < 20; d++)
      writer.add({
        device: `d${d}`,
        quantity: 'powerKW',
        unit: 'kW',
        timeMs: t0 + n * 1000,
        value: d + n / 100,
        quality: 'good',
      });
    writer.flush();
  }
  db.close();
}

function expectOneLine(result: CliResult, pattern: RegExp): void {
  expect(result.code).toBe(1);
  const lines = result.stderr.trim().split('\n');
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(pattern);
  expect(result.stderr).not.toMatch(/\bat .*\.ts:\d+/);
}

describe('a historian file that is not ours', () => {
  it('refuses a file that is not SQLite, untouched', async () => {
    const dir = dataDir('not-sqlite');
    fs.writeFileSync(path.join(dir, 'historian.db'), crypto.randomBytes(8192));
    const before = snapshot(dir);
    expect(() => openHistorianDb(dir)).toThrow(
      /is not a Commonwatt historian: it is not an SQLite database.*left untouched/,
    );
    expectOneLine(await runCli(['db', 'check', '--data', dir]), /not an SQLite database/);
    expectOneLine(
      await runCli(['export', '--data', dir, '--from', '2026-01-01', '--to', '2026-01-02']),
      /not a Commonwatt historian/,
    );
    expect(snapshot(dir)).toEqual(before);
  });

  it("refuses another program's SQLite database, untouched", async () => {
    const dir = dataDir('foreign');
    const other = new Database(path.join(dir, 'historian.db'));
    other.exec(
      "CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT); INSERT INTO notes (text) VALUES ('mine');",
    );
    other.close();
    const before = snapshot(dir);
    expect(() => openHistorianDb(dir)).toThrow(HistorianOpenError);
    expect(() => openHistorianDb(dir)).toThrow(/SQLite database of another program/);
    expectOneLine(await runCli(['db', 'check', '--data', dir]), /another program/);
    expect(snapshot(dir)).toEqual(before);
  });

  it('refuses a historian written by a newer Commonwatt, untouched', () => {
    const dir = dataDir('newer');
    realHistorian(dir);
    const db = new Database(path.join(dir, 'historian.db'));
    db.pragma('user_version = 99');
    db.pragma(`application_id = ${APPLICATION_ID}`);
    db.close();
    const before = snapshot(dir);
    expect(() => openHistorianDb(dir)).toThrow(/newer Commonwatt \(schema version 99.*upgrade Commonwatt/);
    expect(snapshot(dir)).toEqual(before);
  });
});

describe('a damaged historian', () => {
  it('is reported by db check and refused by the console, untouched', async () => {
    const dir = dataDir('damaged');
    realHistorian(dir);
    const file = path.join(dir, 'historian.db');
    const probe = new Database(file, { readonly: true });
    const pageSize = probe.pragma('page_size', { simple: true }) as number;
    const root = (
      probe.prepare("SELECT rootpage FROM sqlite_master WHERE name = 'series'").get() as { rootpage: number }
    ).rootpage;
    probe.close();
    // A read-only connection leaves empty -wal and -shm files behind; they are not the historian's.
    for (const extra of ['-wal', '-shm']) fs.rmSync(`${file}${extra}`, { force: true });
    // The series table's page overwritten with noise, as a failing disk might leave it.
    const fd = fs.openSync(file, 'r+');
    fs.writeSync(fd, crypto.randomBytes(pageSize), 0, pageSize, (root - 1) * pageSize);
    fs.closeSync(fd);
    const before = snapshot(dir);

    const check = await runCli(['db', 'check', '--data', dir]);
    expect(check.code).toBe(1);
    expect(check.stdout).toMatch(/PROBLEM {2}integrity_check: /);
    expect(check.stdout).toMatch(/historian has problems: stop the console, keep a copy/);
    expect(() => openHistorianDb(dir)).toThrow(/damaged .*db check --data/);
    expect(snapshot(dir)).toEqual(before);
  });
});

describe('a read-only data directory', () => {
  // Root writes anywhere; the commands then run as the unprivileged user 'nobody'.
  const asRoot = process.getuid?.() === 0;
  const run = (args: string[]): Promise<CliResult> =>
    new Promise((resolve) => {
      execFile(
        process.execPath,
        [cliPath, ...args],
        { cwd: repoRoot, encoding: 'utf8', timeout: 60_000, ...(asRoot ? { uid: 65534, gid: 65534 } : {}) },
        (error, stdout, stderr) =>
          resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr }),
      );
    });

  it('gives a clear error and touches nothing', async () => {
    if (asRoot) fs.chmodSync(root, 0o755);
    const dir = dataDir('read-only');
    realHistorian(dir);
    fs.chmodSync(path.join(dir, 'historian.db'), 0o444);
    fs.chmodSync(dir, 0o555);
    const before = snapshot(dir);
    if (!fs.existsSync(path.join(repoRoot, 'out', 'renderer', 'index.html')))
      console.log('read-only serve case skipped: the renderer is not built (npm run build)');
    else
      expectOneLine(
        await run(['serve', '--data', dir, '--port', '0']),
        /cannot write in .*historian\.db: permission denied; the historian needs a writable --data directory/,
      );
    expectOneLine(
      await run(['db', 'check', '--data', dir]),
      /is read-only .*copy the directory somewhere writable/,
    );
    expect(snapshot(dir)).toEqual(before);
  });
});
