// `commonwatt ledger verify` on a real ledger, edited underneath it with SQLite: a changed, a
// removed, a reordered entry and entries removed from the end are each caught and named.
import Database from 'better-sqlite3';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHeadlessSettlement } from '../../electron/market/headless-settlement.ts';
import { entryHash, type EntryKind } from '../../electron/market/ledger.ts';
import { runCli } from '../fixtures/cli.ts';
import { demoSite } from '../fixtures/demo-site.ts';
import { physicsIntervals } from '../unit/settlement/physics-intervals.ts';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'commonwatt-ledger-'));
const pristine = path.join(tmp, 'pristine');
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

beforeAll(() => {
  const site = demoSite();
  const settlement = createHeadlessSettlement(pristine, site);
  for (const e of physicsIntervals(site, {
    startMs: Date.parse('2026-06-14T23:00:00Z'),
    intervals: 96,
    stepSeconds: 30,
  }))
    settlement.settle(e);
  settlement.close();
});

/** A copy of the ledger, edited with plain SQL as someone with the file could. */
function tampered(name: string, sql: string[]): string {
  const dir = path.join(tmp, name);
  fs.cpSync(pristine, dir, { recursive: true });
  const db = new Database(path.join(dir, 'ledger.db'));
  for (const statement of sql) db.exec(statement);
  db.close();
  return dir;
}

describe('commonwatt ledger verify', () => {
  it('passes an intact ledger and counts its entries', async () => {
    const r = await runCli(['ledger', 'verify', '--data', pristine]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    // 96 intervals and the site snapshot booked before the first.
    expect(r.stdout).toMatch(/^ledger ok: 97 entries checked/);
  });

  it('names a changed entry', async () => {
    const dir = tampered('changed', [
      'UPDATE entry SET payload = replace(payload, \'"mode":"grid-connected"\', \'"mode":"islanded"\') WHERE seq = 41',
    ]);
    const r = await runCli(['ledger', 'verify', '--data', dir]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/entry 41 \(interval 2026-06-15T09:45/);
    expect(r.stdout).toMatch(/changed/);
    expect(r.stdout).toMatch(/40 entries before it are intact/);
  });

  it('names a changed entry whose hash was recomputed, by the next entry', async () => {
    // Whoever edits entry 20 and fixes its own hash still breaks the link from entry 21.
    const dir = tampered('rehashed', []);
    const db = new Database(path.join(dir, 'ledger.db'));
    const row = db.prepare('SELECT * FROM entry WHERE seq = 20').get() as Record<
      string,
      string | number | null
    >;
    const payload = (row.payload as string).replace('"flags":[]', '"flags":["edited"]');
    expect(payload).not.toBe(row.payload);
    const hash = entryHash({
      seq: 20,
      kind: row.kind as EntryKind,
      key: row.key as string,
      intervalStartMs: row.interval_start_ms as number,
      bookedMs: row.booked_ms as number,
      payload,
      prevHash: row.prev_hash as string,
    });
    db.prepare('UPDATE entry SET payload = ?, hash = ? WHERE seq = 20').run(payload, hash);
    db.close();
    const r = await runCli(['ledger', 'verify', '--data', dir]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(
      /entry 20 \(interval [^)]*\) was changed after it was written and its hash recomputed/,
    );
    expect(r.stdout).toMatch(/19 entries before it are intact/);
  });

  it('names a removed entry', async () => {
    const dir = tampered('removed', ['DELETE FROM entry WHERE seq = 30']);
    const r = await runCli(['ledger', 'verify', '--data', dir]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/entry 30 is missing/);
  });

  it('names reordered entries', async () => {
    // Swap the content of entries 50 and 51, keeping the sequence numbers in order.
    const cols = 'kind, key, interval_start_ms, booked_ms, payload, prev_hash, hash';
    const dir = tampered('reordered', [
      'CREATE TEMP TABLE a AS SELECT * FROM entry WHERE seq = 50',
      'CREATE TEMP TABLE b AS SELECT * FROM entry WHERE seq = 51',
      'DELETE FROM entry WHERE seq IN (50, 51)',
      `INSERT INTO entry (seq, ${cols}) SELECT 50, ${cols} FROM b`,
      `INSERT INTO entry (seq, ${cols}) SELECT 51, ${cols} FROM a`,
    ]);
    const r = await runCli(['ledger', 'verify', '--data', dir]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/entry 50 .*changed or moved/);
  });

  it('names entries removed from the end', async () => {
    const dir = tampered('truncated', ['DELETE FROM entry WHERE seq > 90']);
    const r = await runCli(['ledger', 'verify', '--data', dir]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/entry 91 is missing.*removed from the end/);
  });

  it('answers in JSON, and refuses a directory without a ledger in one line', async () => {
    const json = await runCli(['ledger', 'verify', '--data', pristine, '--json']);
    expect(JSON.parse(json.stdout)).toMatchObject({ ok: true, entries: 97 });
    const empty = path.join(tmp, 'empty');
    fs.mkdirSync(empty);
    const r = await runCli(['ledger', 'verify', '--data', empty]);
    expect(r.code).not.toBe(0);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/no ledger in/);
    expect(fs.existsSync(path.join(empty, 'ledger.db'))).toBe(false);
  });
});
