// The settlement ledger: an append-only, hash-chained list of entries in its own SQLite file,
// DIR/ledger.db. Each entry's hash covers its sequence number, kind, key, interval, booking time,
// payload and the previous entry's hash, so changing, removing or reordering any entry breaks the
// chain at that entry; the chain's head (last sequence number and hash) is also written to
// DIR/ledger.head after every commit, so removing entries from the end is caught as well. The head
// is signed with the ledger's Ed25519 key, kept outside the data directory (ledger-key.ts), so a
// chain recomputed by someone without the key fails verification; and every entry's money and
// energy are rechecked (ledger-balance.ts), so the failure names the entry that does not add up.
//
// Its own file, not tables in historian.db: the ledger is kept for years and backed up on its
// own while samples are rolled up and pruned; it is written with synchronous=FULL (a settled
// interval must survive a power cut) where the historian trades the last second of samples for
// throughput; and `ledger verify` and statements need the ledger alone.
import Database from 'better-sqlite3';
import { createHash, randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { LedgerKeyCheck, LedgerVerifyResult } from '../../shared/api/settlement-api.ts';
import type { LedgerAttestation } from '../../shared/settlement/statement.ts';
import { BalanceChecker } from './ledger-balance.ts';
import {
  FileLedgerKeyStore,
  generateLedgerKey,
  headSignatureValid,
  readPublicKeyFile,
  signHead,
  signingKey,
  writePublicKeyFile,
  type HeadDurability,
  type LedgerKeyStore,
  type LedgerPublicKeyFile,
  type LedgerSigningKey,
} from './ledger-key.ts';

// The entry's shape has its own module, so the balance checker can name it without importing this one.
export type { EntryKind, LedgerEntry } from './ledger-entry.ts';
import type { EntryKind, LedgerEntry } from './ledger-entry.ts';

export type VerifyResult = LedgerVerifyResult;

export const GENESIS_HASH = '0'.repeat(64);
const SCHEMA_VERSION = 1;

export class LedgerOpenError extends Error {
  override name = 'LedgerOpenError';
}

export interface LedgerFiles {
  db: string;
  head: string;
  /** The public key beside the ledger (the private key is in a key store, elsewhere). */
  publicKey: string;
}

export function ledgerFiles(dataDir: string): LedgerFiles {
  return {
    db: path.join(dataDir, 'ledger.db'),
    head: path.join(dataDir, 'ledger.head'),
    publicKey: path.join(dataDir, 'ledger.pub'),
  };
}

/** DIR/ledger.head as read: absent, unreadable, or a head (signed, withheld, or from before keys). */
export type HeadFile =
  | { status: 'missing' }
  | { status: 'corrupt'; why: string }
  | {
      status: 'present';
      seq: number;
      hash: string;
      ledgerId: string | null;
      durability: HeadDurability | null;
      signature: string | null;
      /** Why the writer did not sign this head. */
      unsigned: string | null;
    };

/** How the writer signs heads: with the ledger's key, or not at all (and why). */
export interface LedgerSigning {
  state: 'signing' | 'withheld' | 'read-only';
  ledgerId: string | null;
  fingerprint: string | null;
  reason: string | null;
  /** Something a person should hear about at open (a key made for an existing ledger, a key replaced). */
  notice: string | null;
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

export interface LedgerOpenOptions {
  mustExist?: boolean;
  readOnly?: boolean;
  durability?: HeadDurability;
  /** Where the ledger's private key is kept; the user's config directory by default. */
  keys?: LedgerKeyStore;
}

export class Ledger {
  private readonly db: Database.Database;
  private readonly files: LedgerFiles;
  private headWrittenAt = -Infinity;
  private headBehind = false;
  private readonly statements = new Map<string, Database.Statement>();
  private signer: { key: LedgerSigningKey; ledgerId: string } | null = null;
  signing: LedgerSigning = {
    state: 'read-only',
    ledgerId: null,
    fingerprint: null,
    reason: null,
    notice: null,
  };

  /** Prepared once per connection: preparing costs more than running these small queries. */
  stmt(sql: string): Database.Statement {
    let statement = this.statements.get(sql);
    if (!statement) this.statements.set(sql, (statement = this.db.prepare(sql)));
    return statement;
  }

  private constructor(
    db: Database.Database,
    files: LedgerFiles,
    readonly readOnly: boolean,
    private readonly syncHead: boolean,
    readonly keys: LedgerKeyStore,
  ) {
    this.db = db;
    this.files = files;
  }

  /**
   * Opens DIR/ledger.db, creating it unless `mustExist`; refuses a file that is not a ledger.
   * `durability: 'process'` (simulations) survives a crash of the process but not of the machine:
   * synchronous=NORMAL and no fsync of the head, some twenty times faster on a busy disk; a run
   * cut short by a power loss is simply run again. A writer signs the head with the ledger's key
   * (see `setUpSigning` for a new ledger, one from before keys, and a lost key).
   */
  static open(dataDir: string, options: LedgerOpenOptions = {}): Ledger {
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
    const ledger = new Ledger(
      db,
      files,
      options.readOnly ?? false,
      durable,
      options.keys ?? new FileLedgerKeyStore(),
    );
    if (!ledger.readOnly) ledger.setUpSigning();
    return ledger;
  }

  /**
   * A read-only connection beside the console's writer (WAL lets it read while the writer books):
   * for readers on other threads, which must never write, migrate or take the write lock.
   */
  static openReader(dataDir: string, keys?: LedgerKeyStore): Ledger {
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
    return new Ledger(db, files, true, false, keys ?? new FileLedgerKeyStore());
  }

  /** The ledger's id (what its key is filed under), or null for a ledger from before keys. */
  ledgerId(): string | null {
    try {
      const row = this.stmt("SELECT value FROM meta WHERE name = 'ledger_id'").get() as
        { value: string } | undefined;
      return row?.value ?? null;
    } catch {
      return null; // a read-only connection to a ledger from before the meta table
    }
  }

  /**
   * Decides how this writer signs heads. It signs only a ledger whose current head its key (or,
   * for a lost key, the public key beside the ledger) already vouches for, so the console never
   * signs over a chain someone recomputed:
   * - a new, empty ledger gets a key pair: private in the key store, public beside the ledger;
   * - a ledger from before keys (a head without a signature, no public key) gets a key too and is
   *   signed from its current last entry on (recorded as `signedFromSeq`; verify says so);
   * - a ledger whose private key is not in the store (a new machine, the key lost) gets a new key,
   *   if the old key's signature on the current head still verifies; the old key and the head it
   *   signed stay in DIR/ledger.pub, so verify still checks them and reports the change;
   * - anything else (a head whose signature does not verify, a public key that is not the store's,
   *   a missing public key beside a signed head) withholds signing: heads are written with the
   *   reason instead, verify fails until someone looks, and settlement goes on.
   */
  private setUpSigning(): void {
    const withhold = (reason: string, ledgerId: string | null = null) => {
      this.signer = null;
      this.signing = { state: 'withheld', ledgerId, fingerprint: null, reason, notice: null };
    };
    let pub: LedgerPublicKeyFile | null;
    try {
      pub = readPublicKeyFile(this.files.publicKey);
    } catch (error) {
      return withhold(
        `the public key file ${this.files.publicKey} is unreadable: ${(error as Error).message}`,
      );
    }
    let ledgerId = this.ledgerId();
    if (ledgerId && pub && pub.ledgerId !== ledgerId)
      return withhold(
        `${this.files.publicKey} belongs to ledger ${pub.ledgerId}, but this is ledger ${ledgerId}`,
        ledgerId,
      );
    if (!ledgerId) {
      ledgerId = pub?.ledgerId ?? randomUUID();
      this.stmt("INSERT OR REPLACE INTO meta (name, value) VALUES ('ledger_id', ?)").run(ledgerId);
    }
    const id = ledgerId;
    let der: Uint8Array | null;
    try {
      der = this.keys.load(id);
    } catch (error) {
      return withhold((error as Error).message, id);
    }
    const head = this.readHead();
    const last = this.last();
    /** The head file names an entry that is in the chain as it names it. */
    const headInChain =
      head.status === 'present' && (head.seq === 0 || this.bySeq(head.seq)?.hash === head.hash);
    const start = (key: LedgerSigningKey, notice: string | null) => {
      this.signer = { key, ledgerId: id };
      this.signing = { state: 'signing', ledgerId: id, fingerprint: key.fingerprint, reason: null, notice };
    };
    const newKey = (): LedgerSigningKey | null => {
      const { key, der: bytes } = generateLedgerKey();
      try {
        this.keys.save(id, bytes);
      } catch (error) {
        withhold(`cannot keep a new ledger key in ${this.keys.location}: ${(error as Error).message}`, id);
        return null;
      }
      return key;
    };

    if (!pub) {
      if (der)
        return withhold(
          `the ledger's public key ${this.files.publicKey} is missing; restore it from a backup`,
          id,
        );
      const legacy =
        head.status === 'present' && head.signature === null && head.unsigned === null && headInChain;
      if (last && !legacy)
        return withhold(
          `the ledger has entries but no public key beside it (${this.files.publicKey}) and its head is ` +
            (head.status === 'present' ? 'signed or not in the chain' : head.status),
          id,
        );
      const key = newKey();
      if (!key) return;
      const signedFromSeq = last?.seq ?? 0;
      writePublicKeyFile(this.files.publicKey, {
        format: 'commonwatt.ledger-key/1',
        ledgerId: id,
        algorithm: 'ed25519',
        publicKey: key.publicKey,
        fingerprint: key.fingerprint,
        createdMs: Date.now(),
        signedFromSeq,
        previous: [],
      });
      start(
        key,
        last
          ? `the ledger had no key; its head is signed from entry ${signedFromSeq} on with a new key (fingerprint ${key.fingerprint}) kept in ${this.keys.location}`
          : null,
      );
      if (last) this.writeHead();
      return;
    }

    // The head as it stands must carry a signature of the public key beside the ledger.
    const vouched =
      head.status === 'present' &&
      head.signature !== null &&
      headInChain &&
      headSignatureValid(
        pub.publicKey,
        { ledgerId: id, seq: head.seq, hash: head.hash, durability: head.durability ?? 'power-loss' },
        head.signature,
      );
    if (der) {
      let key: LedgerSigningKey;
      try {
        key = signingKey(der);
      } catch (error) {
        return withhold((error as Error).message, id);
      }
      if (key.publicKey !== pub.publicKey)
        return withhold(
          `the public key beside the ledger (fingerprint ${pub.fingerprint}) is not the ledger's key in ${this.keys.location} (fingerprint ${key.fingerprint})`,
          id,
        );
      if (!vouched && last)
        return withhold(`the ledger's head at open was not signed by its key: ${this.headProblem(head)}`, id);
      start(key, null);
      return;
    }
    if (!vouched || head.status !== 'present' || head.signature === null)
      return withhold(
        `no private key for ledger ${id} in ${this.keys.location}, and the head's signature does not verify, so no new key is made`,
        id,
      );
    const key = newKey();
    if (!key) return;
    const signedFromSeq = last?.seq ?? 0;
    writePublicKeyFile(this.files.publicKey, {
      ...pub,
      publicKey: key.publicKey,
      fingerprint: key.fingerprint,
      createdMs: Date.now(),
      signedFromSeq,
      previous: [
        ...pub.previous,
        {
          publicKey: pub.publicKey,
          fingerprint: pub.fingerprint,
          head: { ledgerId: id, seq: head.seq, hash: head.hash, durability: head.durability ?? 'power-loss' },
          signature: head.signature,
        },
      ],
    });
    start(
      key,
      `no private key for ledger ${id} was found in ${this.keys.location}: heads are signed from entry ${signedFromSeq} on with a new key (fingerprint ${key.fingerprint}); the old key (fingerprint ${pub.fingerprint}) still vouches for entries up to ${head.seq}`,
    );
    this.writeHead();
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

  /**
   * Walks the chain, every entry's balances, the head and its signature; names the first entry that
   * is not as it was written or does not add up. Given a walk that already passed, it goes on from
   * where that stopped (the console keeps one, so each new entry is checked once).
   */
  verify(walk: LedgerWalk = new LedgerWalk(this)): VerifyResult {
    // The head is read before the chain: it is written after each commit, so every entry it counts
    // is already in the database; an append by a console running meanwhile is not a removal.
    const head = this.readHead();
    if (walk.failure) return walk.failure;
    const rows = this.stmt('SELECT * FROM entry WHERE seq > ? ORDER BY seq').iterate(
      walk.previous?.seq ?? 0,
    ) as IterableIterator<Row>;
    for (const row of rows) if (!walk.step(fromRow(row))) return walk.failure!;
    return walk.finish(head);
  }

  bySeq(seq: number): LedgerEntry | undefined {
    const row = this.stmt('SELECT * FROM entry WHERE seq = ?').get(seq) as Row | undefined;
    return row && fromRow(row);
  }

  get headFile(): string {
    return this.files.head;
  }

  get publicKeyFile(): string {
    return this.files.publicKey;
  }

  readHead(): HeadFile {
    let text: string;
    try {
      text = fs.readFileSync(this.files.head, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { status: 'missing' };
      return { status: 'corrupt', why: (error as Error).message };
    }
    let parsed: Record<string, unknown>;
    try {
      parsed = JSON.parse(text) as Record<string, unknown>;
    } catch (error) {
      return { status: 'corrupt', why: `not JSON (${(error as Error).message})` };
    }
    const { seq, hash, ledgerId, durability, signature, unsigned } = parsed ?? {};
    const optional = (v: unknown) => v === undefined || typeof v === 'string';
    if (
      typeof seq !== 'number' ||
      !Number.isSafeInteger(seq) ||
      seq < 0 ||
      typeof hash !== 'string' ||
      !/^[0-9a-f]{64}$/.test(hash) ||
      !optional(ledgerId) ||
      !optional(signature) ||
      !optional(unsigned) ||
      !(durability === undefined || durability === 'power-loss' || durability === 'process')
    )
      return { status: 'corrupt', why: 'not a head (a sequence number and a SHA-256 hash)' };
    return {
      status: 'present',
      seq,
      hash,
      ledgerId: (ledgerId as string | undefined) ?? null,
      durability: (durability as HeadDurability | undefined) ?? null,
      signature: (signature as string | undefined) ?? null,
      unsigned: (unsigned as string | undefined) ?? null,
    };
  }

  /** Why a head read at open is not one this ledger's key vouches for (for the writer's reason). */
  private headProblem(head: HeadFile): string {
    if (head.status !== 'present') return `the head file is ${head.status}`;
    if (head.unsigned) return `it was written unsigned (${head.unsigned})`;
    if (!head.signature) return 'it carries no signature';
    if (head.seq > 0 && this.bySeq(head.seq)?.hash !== head.hash)
      return `entry ${head.seq} no longer has the hash the head records`;
    return 'its signature does not verify with the public key beside the ledger';
  }

  /**
   * Records the chain's head beside the database, signed when this writer signs: written to a
   * temporary file, synced, then renamed over the old head, so a crash leaves the old head or the
   * new one, never half of one. A crash between the commit and this leaves the head one commit
   * behind, which verify accepts (the entries after the head still chain to it) and the next
   * commit repairs.
   */
  private writeHead(): void {
    const last = this.last();
    const durability: HeadDurability = this.syncHead ? 'power-loss' : 'process';
    const signed = { seq: last?.seq ?? 0, hash: last?.hash ?? GENESIS_HASH, durability };
    const head = this.signer
      ? {
          ...signed,
          ledgerId: this.signer.ledgerId,
          signature: signHead(this.signer.key, { ...signed, ledgerId: this.signer.ledgerId }),
        }
      : {
          ...signed,
          ...(this.signing.ledgerId ? { ledgerId: this.signing.ledgerId } : {}),
          unsigned: this.signing.reason ?? 'this writer holds no ledger key',
        };
    const text = JSON.stringify(head);
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

/**
 * One pass over the chain, resumable: what the last checked entry promised (its hash, its closing
 * balances) and the first failure, which stays until a new walk starts.
 */
export class LedgerWalk {
  previous: LedgerEntry | undefined;
  checked = 0;
  failure: (VerifyResult & { ok: false }) | null = null;
  private readonly balances: BalanceChecker;
  /** The key store's answer, asked once per walk (it may read a file). */
  private keyStore: LedgerKeyCheck['keyStore'] | null = null;
  /** The last head that passed, for statements. */
  attestation: LedgerAttestation | null = null;

  constructor(private readonly ledger: Ledger) {
    this.balances = new BalanceChecker((seq) => ledger.bySeq(seq));
  }

  private fail(
    e: LedgerEntry | undefined,
    seq: number,
    problem: string,
    key: LedgerKeyCheck | null = null,
  ): VerifyResult & { ok: false } {
    this.failure = {
      ok: false,
      entries: this.checked,
      seq,
      intervalStartMs: e?.intervalStartMs ?? null,
      kind: e?.kind ?? 'unknown',
      problem,
      key,
    };
    return this.failure;
  }

  /** Checks the next entry; false (and `failure` set) when it is not as written or does not add up. */
  step(e: LedgerEntry): boolean {
    const previous = this.previous;
    const expectedSeq = (previous?.seq ?? 0) + 1;
    const expectedPrev = previous?.hash ?? GENESIS_HASH;
    if (e.seq !== expectedSeq) {
      this.fail(
        undefined,
        expectedSeq,
        `is missing: the entries jump from ${expectedSeq - 1} to ${e.seq} (removed)`,
      );
      return false;
    }
    const selfConsistent = entryHash({ ...e, hash: undefined } as Omit<LedgerEntry, 'hash'>) === e.hash;
    if (e.prevHash !== expectedPrev) {
      // An intact entry records its predecessor's hash; if that is not the hash the predecessor
      // has now, the predecessor was replaced (changed and re-hashed) after this one was written.
      if (selfConsistent && previous) {
        this.checked--;
        this.fail(
          previous,
          previous.seq,
          `was changed after it was written and its hash recomputed: entry ${e.seq} recorded a different hash for it`,
        );
        return false;
      }
      this.fail(
        e,
        e.seq,
        selfConsistent
          ? 'does not follow the start of the chain: entries were removed or reordered'
          : 'was changed or moved after it was written (its content does not match its hash or its place in the chain)',
      );
      return false;
    }
    if (!selfConsistent) {
      this.fail(e, e.seq, 'was changed after it was written (its content does not match its hash)');
      return false;
    }
    const problem = this.balances.check(e);
    if (problem) {
      this.fail(e, e.seq, `does not balance: ${problem}`);
      return false;
    }
    this.previous = e;
    this.checked++;
    return true;
  }

  /** The head's checks after the chain: it names an entry of this chain, and its signature holds. */
  finish(head: HeadFile): VerifyResult {
    const ledger = this.ledger;
    const previous = this.previous;
    const lastSeq = previous?.seq ?? 0;
    const headPath = ledger.headFile;
    if (head.status === 'missing') {
      if (this.checked > 0)
        return this.fail(
          previous,
          previous!.seq,
          `is the last entry, but the ledger head file ${headPath} is missing, so removal of entries from the end cannot be ruled out`,
        );
      return {
        ok: true,
        entries: 0,
        headHash: GENESIS_HASH,
        headSeq: 0,
        headLag: 0,
        key: null,
        warnings: [],
      };
    }
    if (head.status === 'corrupt')
      return this.fail(
        previous,
        lastSeq,
        `is the last entry, but the ledger head file ${headPath} is corrupt (${head.why}), so removal of entries from the end cannot be ruled out`,
      );
    if (head.seq > lastSeq)
      return this.fail(
        undefined,
        lastSeq + 1,
        `is missing: the ledger ends at entry ${lastSeq} but its head records ${head.seq} entries (removed from the end)`,
      );
    const atHead = ledger.bySeq(head.seq);
    if (head.seq > 0 && atHead?.hash !== head.hash)
      return this.fail(
        atHead,
        head.seq,
        'does not match the hash the ledger head recorded for it (replaced)',
      );

    // The signature: the head is the one the ledger's key signed.
    let pub: LedgerPublicKeyFile | null;
    try {
      pub = readPublicKeyFile(ledger.publicKeyFile);
    } catch (error) {
      return this.fail(
        atHead,
        head.seq,
        `is the head, but the public key file ${ledger.publicKeyFile} is unreadable: ${(error as Error).message}`,
      );
    }
    const ledgerId = ledger.ledgerId() ?? pub?.ledgerId ?? null;
    if (head.unsigned)
      return this.fail(atHead, head.seq, `is the head, but the head was written unsigned: ${head.unsigned}`);
    if (!pub)
      return this.fail(
        atHead,
        head.seq,
        `is the head, but there is no public key beside the ledger (${ledger.publicKeyFile}) to check it with` +
          (head.signature
            ? ''
            : ': the ledger was written before ledger keys (the console signs it when it next opens it) or its key was removed'),
      );
    const key: LedgerKeyCheck = {
      ledgerId: pub.ledgerId,
      fingerprint: pub.fingerprint,
      keyStore: 'absent',
      keyStoreLocation: ledger.keys.location,
      signedFromSeq: pub.signedFromSeq,
      previousKeys: pub.previous.map((p) => ({ fingerprint: p.fingerprint, untilSeq: p.head.seq })),
    };
    if (ledgerId !== pub.ledgerId || (head.ledgerId !== null && head.ledgerId !== pub.ledgerId))
      return this.fail(
        atHead,
        head.seq,
        `is the head, but the ledger (${ledgerId}), its head (${head.ledgerId}) and its public key (${pub.ledgerId}) do not name the same ledger`,
        key,
      );
    if (!head.signature)
      return this.fail(
        atHead,
        head.seq,
        'is the head, but the head carries no signature (it was removed)',
        key,
      );
    const signed = {
      ledgerId: pub.ledgerId,
      seq: head.seq,
      hash: head.hash,
      durability: head.durability ?? 'power-loss',
    };
    if (!headSignatureValid(pub.publicKey, signed, head.signature))
      return this.fail(
        atHead,
        head.seq,
        `is the head, but the head's signature does not verify with the ledger's public key (fingerprint ${pub.fingerprint}): ` +
          'the chain was recomputed or the head rewritten by someone without the key',
        key,
      );
    for (const p of pub.previous) {
      const at = ledger.bySeq(p.head.seq);
      if (
        p.head.seq > lastSeq ||
        at?.hash !== p.head.hash ||
        !headSignatureValid(p.publicKey, p.head, p.signature)
      )
        return this.fail(
          at,
          p.head.seq,
          `was signed by the ledger's earlier key (fingerprint ${p.fingerprint}), but that signature no longer holds for it: the chain was recomputed`,
          key,
        );
    }
    // Power-loss heads are written after every commit: after a crash at most one entry follows.
    const headLag = lastSeq - head.seq;
    if (head.durability === 'power-loss' && headLag > 1)
      return this.fail(
        ledger.bySeq(head.seq + 1),
        head.seq + 1,
        `follows the signed head, which records only ${head.seq} entries of ${lastSeq}: the head is stale ` +
          '(an old copy put back, or entries appended by someone without the key; the console writes it after every entry)',
        key,
      );
    if (this.keyStore === null) {
      try {
        const der = ledger.keys.load(pub.ledgerId);
        this.keyStore =
          der === null ? 'absent' : signingKey(der).publicKey === pub.publicKey ? 'matches' : 'differs';
      } catch {
        // An unreadable key store proves nothing either way: verify as an auditor would.
        this.keyStore = 'absent';
      }
    }
    key.keyStore = this.keyStore;
    if (this.keyStore === 'differs')
      return this.fail(
        atHead,
        head.seq,
        `is the head, signed by a key (fingerprint ${pub.fingerprint}) that is not the ledger's private key in ${ledger.keys.location}: the public key beside the ledger was replaced`,
        key,
      );
    const warnings: string[] = [];
    if (headLag > 0)
      warnings.push(
        `${headLag} entries after the signed head are not yet covered by a signature (a crash before the head was written; the console signs them when it next opens the ledger)`,
      );
    if (pub.signedFromSeq > 0 && pub.previous.length === 0)
      warnings.push(
        `entries 1–${pub.signedFromSeq} were written before the ledger had a key: the signature covers them from then on, their earlier history rests on the hash chain alone`,
      );
    for (const p of pub.previous)
      warnings.push(
        `the ledger's key was replaced: entries up to ${p.head.seq} are vouched for by the earlier key (fingerprint ${p.fingerprint}); compare both fingerprints with your statements`,
      );
    if (this.keyStore === 'absent')
      warnings.push(
        `no private key for this ledger in ${ledger.keys.location} (as on an auditor's machine): compare the fingerprint ${pub.fingerprint} with the one printed on your statements`,
      );
    this.attestation = {
      ledgerId: pub.ledgerId,
      headSeq: head.seq,
      headHash: head.hash,
      durability: signed.durability,
      signature: head.signature,
      publicKey: pub.publicKey,
      fingerprint: pub.fingerprint,
    };
    return {
      ok: true,
      entries: this.checked,
      headHash: previous?.hash ?? GENESIS_HASH,
      headSeq: head.seq,
      headLag,
      key,
      warnings,
    };
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
  // The ledger's id, which its signing key is filed under (ledger-key.ts); not part of the chain.
  db.exec('CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT NOT NULL)');
}
