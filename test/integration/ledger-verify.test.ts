// `commonwatt ledger verify` on a real ledger, edited underneath it with SQLite: a changed, a
// removed, a reordered entry and entries removed from the end are each caught and named; so are a
// missing, a corrupt and a stale ledger.head, a chain recomputed by someone without the key, a
// replaced public key, and entries whose money or energy no longer balance.
import Database from 'better-sqlite3';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHeadlessSettlement } from '../../electron/market/headless-settlement.ts';
import { IntervalSettler } from '../../electron/market/interval-settler.ts';
import { entryHash, Ledger, type EntryKind } from '../../electron/market/ledger.ts';
import { FileLedgerKeyStore, generateLedgerKey, signHead } from '../../electron/market/ledger-key.ts';
import { memberRow, recomputeAfterEdit } from '../fixtures/ledger-tamper.ts';
import { runCli } from '../fixtures/cli.ts';
import { demoSite } from '../fixtures/demo-site.ts';
import { physicsIntervals } from '../fixtures/physics-intervals.ts';

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

/** Runs the CLI with another key directory (an auditor's machine holds no ledger keys). */
async function verifyWithKeyDir(keyDir: string, args: string[]) {
  const saved = process.env.COMMONWATT_LEDGER_KEY_DIR;
  process.env.COMMONWATT_LEDGER_KEY_DIR = keyDir;
  try {
    return await runCli(['ledger', 'verify', ...args]);
  } finally {
    process.env.COMMONWATT_LEDGER_KEY_DIR = saved;
  }
}

function copyOf(name: string): string {
  const dir = path.join(tmp, name);
  fs.cpSync(pristine, dir, { recursive: true });
  return dir;
}

describe('the ledger head', () => {
  it('is signed, and verify names the key beside the ledger and finds its private key here', async () => {
    const r = await runCli(['ledger', 'verify', '--data', pristine, '--json']);
    const result = JSON.parse(r.stdout);
    const pub = JSON.parse(fs.readFileSync(path.join(pristine, 'ledger.pub'), 'utf8'));
    expect(result).toMatchObject({ ok: true, headSeq: 97, headLag: 0 });
    expect(result.key).toMatchObject({ fingerprint: pub.fingerprint, keyStore: 'matches', signedFromSeq: 0 });
    // 64 hex digits in sixteen groups of four.
    expect(pub.fingerprint).toMatch(/^([0-9a-f]{4} ){15}[0-9a-f]{4}$/);
    const keyFile = path.join(process.env.COMMONWATT_LEDGER_KEY_DIR!, `${pub.ledgerId}.key`);
    expect(fs.statSync(keyFile).mode & 0o777).toBe(0o600);
    expect(fs.statSync(path.dirname(keyFile)).mode & 0o777).toBe(0o700);
    // The private key is not in the data directory.
    expect(
      fs.readdirSync(pristine).some((f) => fs.readFileSync(path.join(pristine, f)).includes('PRIVATE KEY')),
    ).toBe(false);
  });

  it('missing: the last entry is named, since removal from the end cannot be ruled out', async () => {
    const dir = copyOf('head-missing');
    fs.rmSync(path.join(dir, 'ledger.head'));
    const r = await runCli(['ledger', 'verify', '--data', dir]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/entry 97 .*ledger head file .* is missing/);
  });

  it('corrupt: named as corrupt, not read as a head', async () => {
    const dir = copyOf('head-corrupt');
    fs.writeFileSync(path.join(dir, 'ledger.head'), '{"seq":97,"hash":"12');
    const r = await runCli(['ledger', 'verify', '--data', dir]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/entry 97 .*ledger head file .* is corrupt/);
  });

  it('stale: an old copy of a console head put back is caught at the first entry after it', async () => {
    // The console's durability: the head is written (and signed) after every entry.
    const site = demoSite();
    const dir = path.join(tmp, 'head-stale');
    const ledger = Ledger.open(dir);
    const settler = new IntervalSettler(ledger, site);
    const days = [
      ...physicsIntervals(site, {
        startMs: Date.parse('2026-06-15T10:00:00Z'),
        intervals: 6,
        stepSeconds: 60,
      }),
    ];
    for (const e of days.slice(0, 3)) settler.settle(e, { bookedMs: e.startMs + 900_000 });
    const old = fs.readFileSync(path.join(dir, 'ledger.head'));
    for (const e of days.slice(3)) settler.settle(e, { bookedMs: e.startMs + 900_000 });
    ledger.close();
    expect((await runCli(['ledger', 'verify', '--data', dir])).code).toBe(0);
    fs.writeFileSync(path.join(dir, 'ledger.head'), old);
    // Entries: the site snapshot, then intervals 2..7; the old head records entry 4.
    const r = await runCli(['ledger', 'verify', '--data', dir]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(
      /entry 5 .*follows the signed head, which records only 4 entries of 7: the head is stale/,
    );
  });

  it('the last entry replaced (its own hash recomputed) no longer matches the head', async () => {
    const dir = copyOf('head-replaced');
    const db = new Database(path.join(dir, 'ledger.db'));
    const row = db.prepare('SELECT * FROM entry WHERE seq = 97').get() as Record<
      string,
      string | number | null
    >;
    const payload = (row.payload as string).replace('"flags":[]', '"flags":["edited"]');
    expect(payload).not.toBe(row.payload);
    const hash = entryHash({
      seq: 97,
      kind: row.kind as EntryKind,
      key: row.key as string,
      intervalStartMs: row.interval_start_ms as number,
      bookedMs: row.booked_ms as number,
      payload,
      prevHash: row.prev_hash as string,
    });
    db.prepare('UPDATE entry SET payload = ?, hash = ? WHERE seq = 97').run(payload, hash);
    db.close();
    const r = await runCli(['ledger', 'verify', '--data', dir]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/entry 97 .*does not match the hash the ledger head recorded for it/);
  });
});

describe('a chain recomputed without the key', () => {
  it('fails: the head signature does not verify, and the console stops signing it', async () => {
    const dir = copyOf('recomputed');
    // A figure-neutral edit (the flags), so only the signature can tell.
    recomputeAfterEdit(dir, 41, (p) => p.settlement.flags.push('edited'));
    const r = await runCli(['ledger', 'verify', '--data', dir]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/entry 97 .*signature does not verify .*recomputed/);
    const writer = Ledger.open(dir);
    expect(writer.signing.state).toBe('withheld');
    writer.close();
  });

  it('with a replaced public key: the key store here says so, and so does the fingerprint an auditor holds', async () => {
    const dir = copyOf('replaced-key');
    const original = JSON.parse(fs.readFileSync(path.join(dir, 'ledger.pub'), 'utf8'));
    recomputeAfterEdit(dir, 41, (p) => p.settlement.flags.push('edited'));
    // The forger signs the recomputed head with a key of their own and puts its public half beside the ledger.
    const { key } = generateLedgerKey();
    const head = JSON.parse(fs.readFileSync(path.join(dir, 'ledger.head'), 'utf8'));
    const signed = {
      ledgerId: original.ledgerId,
      seq: head.seq,
      hash: head.hash,
      durability: head.durability,
    };
    fs.writeFileSync(
      path.join(dir, 'ledger.head'),
      JSON.stringify({ ...signed, signature: signHead(key, signed) }),
    );
    fs.writeFileSync(
      path.join(dir, 'ledger.pub'),
      JSON.stringify({ ...original, publicKey: key.publicKey, fingerprint: key.fingerprint }),
    );
    const here = await runCli(['ledger', 'verify', '--data', dir]);
    expect(here.code).toBe(1);
    expect(here.stdout).toMatch(
      /entry 97 .*not the ledger's private key .*public key beside the ledger was replaced/,
    );

    const auditorKeys = path.join(tmp, 'auditor-keys');
    const unaware = await verifyWithKeyDir(auditorKeys, ['--data', dir]);
    expect(unaware.code).toBe(0);
    expect(unaware.stdout).toContain(`head signed by key ${key.fingerprint}`);
    expect(unaware.stdout).toMatch(/compare the fingerprint/);
    const auditor = await verifyWithKeyDir(auditorKeys, [
      '--data',
      dir,
      '--fingerprint',
      original.fingerprint,
    ]);
    expect(auditor.code).toBe(1);
    expect(auditor.stdout).toMatch(/entry 97 .*not by the key with the fingerprint given/);
    const honest = await verifyWithKeyDir(auditorKeys, [
      '--data',
      pristine,
      '--fingerprint',
      original.fingerprint,
    ]);
    expect(honest.code).toBe(0);
  });
});

describe('keys for old ledgers and lost keys', () => {
  it('a ledger from before keys fails until a writer opens it, then is signed from its last entry on', async () => {
    const dir = copyOf('legacy');
    const head = JSON.parse(fs.readFileSync(path.join(dir, 'ledger.head'), 'utf8'));
    fs.writeFileSync(path.join(dir, 'ledger.head'), JSON.stringify({ seq: head.seq, hash: head.hash }));
    fs.rmSync(path.join(dir, 'ledger.pub'));
    const db = new Database(path.join(dir, 'ledger.db'));
    db.exec('DROP TABLE meta');
    db.close();
    const before = await runCli(['ledger', 'verify', '--data', dir]);
    expect(before.code).toBe(1);
    expect(before.stdout).toMatch(/entry 97 .*no public key beside the ledger.*written before ledger keys/);
    const writer = Ledger.open(dir);
    expect(writer.signing.state).toBe('signing');
    expect(writer.signing.notice).toMatch(/signed from entry 97/);
    writer.close();
    const after = await runCli(['ledger', 'verify', '--data', dir, '--json']);
    const result = JSON.parse(after.stdout);
    expect(result.ok).toBe(true);
    expect(result.key.signedFromSeq).toBe(97);
    expect(result.warnings.join('\n')).toMatch(/entries 1–97 were written before the ledger had a key/);
  });

  it('a lost private key: the next writer signs with a new key and verify names both', async () => {
    const dir = copyOf('lost-key');
    const original = JSON.parse(fs.readFileSync(path.join(dir, 'ledger.pub'), 'utf8'));
    const newKeys = path.join(tmp, 'new-machine-keys');
    const writer = Ledger.open(dir, { keys: new FileLedgerKeyStore(newKeys) });
    expect(writer.signing.state).toBe('signing');
    expect(writer.signing.fingerprint).not.toBe(original.fingerprint);
    writer.close();
    const r = await verifyWithKeyDir(newKeys, ['--data', dir, '--json']);
    const result = JSON.parse(r.stdout);
    expect(result.ok).toBe(true);
    expect(result.key.keyStore).toBe('matches');
    expect(result.key.previousKeys).toEqual([{ fingerprint: original.fingerprint, untilSeq: 97 }]);
    expect(result.warnings.join('\n')).toMatch(/key was replaced: entries up to 97/);
    // The old key still vouches for its part: recomputing the chain there is caught by it.
    recomputeAfterEdit(dir, 41, (p) => p.settlement.flags.push('edited'));
    const tampered = await verifyWithKeyDir(newKeys, ['--data', dir]);
    expect(tampered.code).toBe(1);
  });
});

describe('entries that no longer balance (hashes recomputed)', () => {
  const payloadOf = (seq: number) => {
    const db = new Database(path.join(pristine, 'ledger.db'), { readonly: true });
    const row = db.prepare('SELECT payload FROM entry WHERE seq = ?').get(seq) as { payload: string };
    db.close();
    return JSON.parse(row.payload);
  };
  /** An interval with local trades and a member holding stored energy at its end. */
  const target = (() => {
    let found: { seq: number; seller: string; buyer: string; account: string } | null = null;
    return () => {
      if (found) return found;
      for (let seq = 2; seq <= 97 && !found; seq++) {
        const p = payloadOf(seq);
        const accounts = Object.entries(p.settlement.closing.storage?.accounts ?? {}) as Array<
          [string, number]
        >;
        const holder = accounts.find(([, v]) => v > 1);
        if (p.settlement.market.trades.length > 0 && holder)
          found = {
            seq,
            seller: p.settlement.market.trades[0][0],
            buyer: p.settlement.market.trades[0][1],
            account: holder[0],
          };
      }
      if (!found) throw new Error('no interval with trades and a stored balance in the test ledger');
      return found;
    };
  })();

  const broken = async (name: string, seq: number, edit: (p: any) => void) => {
    const dir = copyOf(name);
    recomputeAfterEdit(dir, seq, edit);
    return runCli(['ledger', 'verify', '--data', dir]);
  };

  it("a member's bill that does not add up", async () => {
    const r = await broken('bill', 41, (p) => (memberRow(p, 'h07').netCost += 1.5));
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/entry 41 .*does not balance: member h07's bill does not add up/);
  });

  it("a member's energy that does not balance", async () => {
    const r = await broken('energy', 41, (p) => (memberRow(p, 'h07').gridImportKWh += 0.25));
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/entry 41 .*member h07's energy does not balance/);
  });

  it('a line that differs from the metered energy', async () => {
    const r = await broken('metered', 41, (p) => {
      const m = p.energies.members.find((x: [string]) => x[0] === 'h07');
      m[1] += 1;
    });
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/entry 41 .*member h07's line .*differs from its metered energy/);
  });

  it('a trade whose energy was changed', async () => {
    const { seq, seller, buyer } = target();
    const r = await broken('trade', seq, (p) => (p.settlement.market.trades[0][2] += 0.1));
    expect(r.code).toBe(1);
    // Whichever side's line is checked first (members in id order) no longer matches its trades.
    const first = [seller, buyer].sort()[0]!;
    expect(r.stdout).toMatch(new RegExp(`entry ${seq} .*member ${first}'s trades .*differ from its line`));
  });

  it('money not conserved between members and the grid, community and operator', async () => {
    const r = await broken('money', 41, (p) => (p.settlement.money.grid += 2));
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/entry 41 .*the grid supplier receives/);
  });

  it("a stored balance changed between one entry's close and the next one's opening", async () => {
    const { seq, account } = target();
    // Consistent inside the entry (line and closing state both moved), so only the next entry can tell.
    const r = await broken('state', seq, (p) => {
      p.settlement.closing.storage.accounts[account] += 0.5;
      memberRow(p, account).balanceKWh += 0.5;
    });
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(new RegExp(`entry ${seq + 1} .*opens from a state other than`));
  });
});
