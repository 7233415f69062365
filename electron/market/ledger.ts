// The settlement ledger: an append-only, hash-chained list of entries in its own SQLite file,
// DIR/ledger.db. Each entry's hash covers its sequence number, kind, key, interval, booking time,
// payload and the previous entry's hash, so changing, removing or reordering any entry breaks the
// chain at that entry; the chain's head (last sequence number and hash) is also written to
// DIR/ledger.head after every commit, so removing entries from the end is caught as well.
//
// Its own file, not tables in historian.db: the ledger is kept for years and backed up on its
// own while samples are rolled up and pruned; it is written with synchronous=FULL (a settled
// interval must survive a power cut) where the historian trades the last second of samples for
// throughput; and `ledger verify` and statements need the ledger alone.
import Database from 'better-sqlite3';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { LedgerVerifyResult } from '../../shared/api/settlement-api.ts';

export type EntryKind = 'site' | 'interval' | 'adjustment';

export interface LedgerEntry {
  seq: number;
  kind: EntryKind;
  /** What makes booking idempotent: one entry per key, ever. */
  key: string;
  intervalStartMs: number | null;
  bookedMs: number;
  /** Canonical JSON (see canonical-json.ts). */
  payload: string;
  prevHash: string;
  hash: string;
}

export type VerifyResult = LedgerVerifyResult;

export const GENESIS_HASH = '0'.repeat(64);
const SCHEMA_VERSION = 1;

export class LedgerOpenError extends Error {
  override name = 'LedgerOpenError';
}

export function ledgerFiles(dataDir: string): { db: string; head: string } {
  return { db: path.join(dataDir, 'ledger.db'), head: path.join(dataDir, 'ledger.head') };
}

export function entryHash(e: Omit<LedgerEntry, 'hash'>): string {
  return createHash('sha256')
    .update(
      `${e.prevHash}\n${e.seq}\n${e.kind}\n${e.key}\n${e.intervalStartMs ?? ''}\n${e.bookedMs}\n${e.payload}`,
    )
    .digest('hex');
}

interface Row {
  seq: number;
  kind: string;
  key: string;
  interval_start_ms: number | null;
  booked_ms: number;
  payload: string;
  prev_hash: string;
  hash: string;
}

function fromRow(r: Row): LedgerEntry {
  return {
    seq: r.seq,
    kind: r.kind as EntryKind,
    key: r.key,
    intervalStartMs: r.interval_start_ms,
    bookedMs: r.booked_ms,
    payload: r.payload,
    prevHash: r.prev_hash,
    hash: r.hash,
  };
}

export class Ledger {
  private readonly db: Database.Database;
  private readonly files: { db: string; head: string };
  private headWrittenAt = -Infinity;
  private headBehind = false;
  private readonly statements = new Map<string, Database.Statement>();

  /** Prepared once per connection: preparing costs more than running these small queries. */
  stmt(sql: string): Database.Statement {
    let statement = this.statements.get(sql);
    if (!statement) this.statements.set(sql, (statement = this.db.prepare(sql)));
    return statement;
  }

  private constructor(
    db: Database.Database,
    files: { db: string; head: string },
    readonly readOnly: boolean,
    private readonly syncHead: boolean,
  ) {
    this.db = db;
    this.files = files;
  }

  /**
   * Opens DIR/ledger.db, creating it unless `mustExist`; refuses a file that is not a ledger.
   * `durability: 'process'` (simulations) survives a crash of the process but not of the machine:
   * synchronous=NORMAL and no fsync of the head, some twenty times faster on a busy disk; a run
   * cut short by a power loss is simply run again.
   */
  static open(
    dataDir: string,
    options: { mustExist?: boolean; readOnly?: boolean; durability?: 'power-loss' | 'process' } = {},
  ): Ledger {
    const durable = (options.durability ?? 'power-loss') === 'power-loss';
    const files = ledgerFiles(dataDir);
    if (options.mustExist && !fs.existsSync(files.db))
      throw new LedgerOpenError(`no ledger in ${dataDir} (expected ${files.db}); settle an interval first`);
    let db: Database.Database;
    try {
      fs.mkdirSync(dataDir, { recursive: true });
      db = new Database(files.db, { fileMustExist: options.mustExist ?? false });
      db.pragma('journal_mode = WAL');
      db.pragma(durable ? 'synchronous = FULL' : 'synchronous = NORMAL');
      db.pragma('busy_timeout = 5000');
    } catch (error) {
      throw new LedgerOpenError(`cannot open ${files.db}: ${(error as Error).message}`);
    }
    try {
      migrate(db);
    } catch (error) {
      db.close();
      throw new LedgerOpenError(
        `${files.db} is not a Commonwatt ledger or is damaged: ${(error as Error).message}`,
      );
    }
    return new Ledger(db, files, options.readOnly ?? false, durable);
  }

  /**
   * A read-only connection beside the console's writer (WAL lets it read while the writer books):
   * for readers on other threads, which must never write, migrate or take the write lock.
   */
  static openReader(dataDir: string): Ledger {
    const files = ledgerFiles(dataDir);
    if (!fs.existsSync(files.db))
      throw new LedgerOpenError(`no ledger in ${dataDir} (expected ${files.db}); settle an interval first`);
    let db: Database.Database;
    try {
      db = new Database(files.db, { readonly: true, fileMustExist: true });
      db.pragma('busy_timeout = 5000');
    } catch (error) {
      throw new LedgerOpenError(`cannot open ${files.db}: ${(error as Error).message}`);
    }
    const version = db.pragma('user_version', { simple: true }) as number;
    if (version !== SCHEMA_VERSION) {
      db.close();
      throw new LedgerOpenError(
        `${files.db} has ledger schema version ${version}, expected ${SCHEMA_VERSION}`,
      );
    }
    return new Ledger(db, files, true, false);
  }

  close(): void {
    if (!this.readOnly && this.headBehind) this.writeHead();
    this.db.close();
  }

  /** The connection, for the derived tables kept beside the chain (ledger-projection.ts). */
  get connection(): Database.Database {
    return this.db;
  }

  /**
   * Runs `fn` in one write transaction (BEGIN IMMEDIATE, so two processes never interleave);
   * the head file is updated after the commit.
   */
  transaction<T>(fn: () => T): T {
    if (this.readOnly) throw new Error('the ledger was opened read-only');
    const result = this.db.transaction(fn).immediate();
    // Without power-loss durability the head is refreshed at most once a second and on close: a
    // crash leaves it behind the entries, which verify accepts (they still chain to it).
    if (this.syncHead || performance.now() - this.headWrittenAt > 1000) this.writeHead();
    else this.headBehind = true;
    return result;
  }

  /** Appends an entry; call inside `transaction`. */
  append(
    kind: EntryKind,
    key: string,
    intervalStartMs: number | null,
    bookedMs: number,
    payload: string,
  ): LedgerEntry {
    const last = this.last();
    const entry: Omit<LedgerEntry, 'hash'> = {
      seq: (last?.seq ?? 0) + 1,
      kind,
      key,
      intervalStartMs,
      bookedMs,
      payload,
      prevHash: last?.hash ?? GENESIS_HASH,
    };
    const full: LedgerEntry = { ...entry, hash: entryHash(entry) };
    this.stmt(
      `INSERT INTO entry (seq, kind, key, interval_start_ms, booked_ms, payload, prev_hash, hash)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
    ).run(
      full.seq,
      full.kind,
      full.key,
      full.intervalStartMs,
      full.bookedMs,
      full.payload,
      full.prevHash,
      full.hash,
    );
    return full;
  }

  byKey(key: string): LedgerEntry | undefined {
    const row = this.stmt('SELECT * FROM entry WHERE key = ?').get(key) as Row | undefined;
    return row && fromRow(row);
  }

  last(kind?: EntryKind): LedgerEntry | undefined {
    const row = (
      kind
        ? this.stmt('SELECT * FROM entry WHERE kind = ? ORDER BY seq DESC LIMIT 1').get(kind)
        : this.stmt('SELECT * FROM entry ORDER BY seq DESC LIMIT 1').get()
    ) as Row | undefined;
    return row && fromRow(row);
  }

  /** The last entry that carries the settlement state (an interval or an adjustment). */
  lastStateful(): LedgerEntry | undefined {
    const row = this.stmt(
      "SELECT * FROM entry WHERE kind IN ('interval', 'adjustment') ORDER BY seq DESC LIMIT 1",
    ).get() as Row | undefined;
    return row && fromRow(row);
  }

  /** Entries about intervals starting in [fromMs, toMs), in booking order. */
  intervalEntries(
    fromMs: number,
    toMs: number,
    kinds: EntryKind[] = ['interval', 'adjustment'],
  ): LedgerEntry[] {
    const marks = kinds.map(() => '?').join(', ');
    return (
      this.stmt(
        `SELECT * FROM entry WHERE interval_start_ms >= ? AND interval_start_ms < ? AND kind IN (${marks}) ORDER BY seq`,
      ).all(fromMs, toMs, ...kinds) as Row[]
    ).map(fromRow);
  }

  /** Site entries up to `seq` (all when absent), in order. */
  siteEntries(): LedgerEntry[] {
    return (this.stmt("SELECT * FROM entry WHERE kind = 'site' ORDER BY seq").all() as Row[]).map(fromRow);
  }

  count(): number {
    return (this.stmt('SELECT count(*) AS n FROM entry').get() as { n: number }).n;
  }

  /** The earliest and latest interval settled, if any. */
  intervalSpan(): { firstMs: number; lastMs: number } | null {
    const row = this.stmt(
      "SELECT min(interval_start_ms) AS a, max(interval_start_ms) AS b FROM entry WHERE kind = 'interval'",
    ).get() as { a: number | null; b: number | null };
    return row.a === null || row.b === null ? null : { firstMs: row.a, lastMs: row.b };
  }

  /** Walks the whole chain and the head; names the first entry that is not as it was written. */
  verify(): VerifyResult {
    // The head is read before the chain: it is written after each commit, so every entry it counts
    // is already in the database; an append by a console running meanwhile is not a removal.
    const head = this.readHead();
    const rows = this.stmt('SELECT * FROM entry ORDER BY seq').iterate() as IterableIterator<Row>;
    let previous: LedgerEntry | undefined;
    let checked = 0;
    const fail = (e: LedgerEntry | undefined, seq: number, problem: string): VerifyResult => ({
      ok: false,
      entries: checked,
      seq,
      intervalStartMs: e?.intervalStartMs ?? null,
      kind: e?.kind ?? 'unknown',
      problem,
    });
    for (const row of rows) {
      const e = fromRow(row);
      const expectedSeq = (previous?.seq ?? 0) + 1;
      const expectedPrev = previous?.hash ?? GENESIS_HASH;
      if (e.seq !== expectedSeq) {
        return fail(
          undefined,
          expectedSeq,
          `is missing: the entries jump from ${expectedSeq - 1} to ${e.seq} (removed)`,
        );
      }
      const selfConsistent = entryHash({ ...e, hash: undefined } as Omit<LedgerEntry, 'hash'>) === e.hash;
      if (e.prevHash !== expectedPrev) {
        // An intact entry records its predecessor's hash; if that is not the hash the predecessor
        // has now, the predecessor was replaced (changed and re-hashed) after this one was written.
        if (selfConsistent && previous) {
          checked--;
          return fail(
            previous,
            previous.seq,
            `was changed after it was written and its hash recomputed: entry ${e.seq} recorded a different hash for it`,
          );
        }
        return fail(
          e,
          e.seq,
          selfConsistent
            ? 'does not follow the start of the chain: entries were removed or reordered'
            : 'was changed or moved after it was written (its content does not match its hash or its place in the chain)',
        );
      }
      if (!selfConsistent)
        return fail(e, e.seq, 'was changed after it was written (its content does not match its hash)');
      previous = e;
      checked++;
    }
    if (head) {
      const lastSeq = previous?.seq ?? 0;
      if (head.seq > lastSeq)
        return fail(
          undefined,
          lastSeq + 1,
          `is missing: the ledger ends at entry ${lastSeq} but its head records ${head.seq} entries (removed from the end)`,
        );
      const atHead = this.bySeq(head.seq);
      if (head.seq > 0 && atHead?.hash !== head.hash)
        return fail(atHead, head.seq, 'does not match the hash the ledger head recorded for it (replaced)');
      return {
        ok: true,
        entries: checked,
        headHash: previous?.hash ?? GENESIS_HASH,
        headLag: lastSeq - head.seq,
      };
    }
    if (checked > 0)
      return fail(
        previous,
        previous!.seq,
        `is the last entry, but the ledger head file ${this.files.head} is missing, so removal of entries from the end cannot be ruled out`,
      );
    return { ok: true, entries: 0, headHash: GENESIS_HASH, headLag: 0 };
  }

  bySeq(seq: number): LedgerEntry | undefined {
    const row = this.stmt('SELECT * FROM entry WHERE seq = ?').get(seq) as Row | undefined;
    return row && fromRow(row);
  }

  readHead(): { seq: number; hash: string } | null {
    try {
      const parsed = JSON.parse(fs.readFileSync(this.files.head, 'utf8')) as {
        seq?: unknown;
        hash?: unknown;
      };
      if (typeof parsed.seq === 'number' && typeof parsed.hash === 'string')
        return { seq: parsed.seq, hash: parsed.hash };
      return { seq: Number.MAX_SAFE_INTEGER, hash: '' };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
      return { seq: Number.MAX_SAFE_INTEGER, hash: '' };
    }
  }

  /**
   * Records the chain's head beside the database: written to a temporary file, synced, then
   * renamed over the old head, so a crash leaves the old head or the new one, never half of one.
   * A crash between the commit and this leaves the head one commit behind, which verify accepts
   * (the entries after the head still chain to it) and the next commit repairs.
   */
  private writeHead(): void {
    const last = this.last();
    const text = JSON.stringify({ seq: last?.seq ?? 0, hash: last?.hash ?? GENESIS_HASH });
    const tmp = `${this.files.head}.tmp`;
    const fd = fs.openSync(tmp, 'w');
    try {
      fs.writeSync(fd, text);
      if (this.syncHead) fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(tmp, this.files.head);
    this.headWrittenAt = performance.now();
    this.headBehind = false;
  }
}

function migrate(db: Database.Database): void {
  const version = db.pragma('user_version', { simple: true }) as number;
  if (version > SCHEMA_VERSION)
    throw new Error(`schema version ${version} is newer than this program understands (${SCHEMA_VERSION})`);
  if (version === 0) {
    const tables = db.prepare("SELECT count(*) AS n FROM sqlite_master WHERE type = 'table'").get() as {
      n: number;
    };
    if (tables.n > 0) throw new Error('it holds tables but no Commonwatt ledger schema version');
    db.transaction(() => {
      db.exec(`
        CREATE TABLE entry (
          seq INTEGER PRIMARY KEY,
          kind TEXT NOT NULL,
          key TEXT NOT NULL UNIQUE,
          interval_start_ms INTEGER,
          booked_ms INTEGER NOT NULL,
          payload TEXT NOT NULL,
          prev_hash TEXT NOT NULL,
          hash TEXT NOT NULL
        );
        CREATE INDEX entry_interval ON entry (interval_start_ms);
      `);
      db.pragma(`user_version = ${SCHEMA_VERSION}`);
    })();
  }
  // The latest entry of a kind (the site snapshot) without scanning every interval after it.
  db.exec('CREATE INDEX IF NOT EXISTS entry_kind ON entry (kind, seq)');
}
