// The historian's SQLite file: opening, pragmas, schema migrations and the errors a person reads.
// With the ingest, the only code that imports better-sqlite3. A file is looked at byte by byte
// before SQLite opens it for writing, so a foreign or damaged file is refused untouched.
//
// Schema (version 2):
//   series  one row per device quantity: its kind (counter, power, gauge), and where the rollups
//           of the series stand (closed_ms, carry_ms, carry_value, last_ms) so a restart resumes
//           exactly, from a bounded stretch of raw samples.
//   sample  raw samples keyed (time_ms, series): a poll cycle appends to the end of one B-tree,
//           a few pages per commit, instead of touching one page per series.
//   rollup  aggregates keyed (res, series, start_ms); res in minutes, 1440 = the local day.
//   batch   one row per committed poll cycle: what was acknowledged, and when.
//   meta    key/value: the site the data belongs to, the settlement interval, the run state.
import Database from 'better-sqlite3';
import fs from 'node:fs';
import path from 'node:path';
import type { SiteFile } from '../../shared/site/schema.ts';
import { seriesKindOf } from './series-kind.ts';

export type Db = Database.Database;

export const HISTORIAN_FILE = 'historian.db';
/** 'CWh1' in the SQLite header's application id: marks the file as a Commonwatt historian. */
export const APPLICATION_ID = 0x43576831;

interface Migration {
  version: number;
  description: string;
  up(db: Db): void;
}

const migrations: Migration[] = [
  {
    version: 1,
    description: 'series and raw samples',
    up: (db) =>
      db.exec(`
        CREATE TABLE series (
          id INTEGER PRIMARY KEY,
          device TEXT NOT NULL,
          quantity TEXT NOT NULL,
          unit TEXT NOT NULL,
          UNIQUE (device, quantity)
        );
        CREATE TABLE sample (
          series INTEGER NOT NULL REFERENCES series(id),
          time_ms INTEGER NOT NULL,
          value REAL,
          quality INTEGER NOT NULL,
          PRIMARY KEY (series, time_ms)
        ) WITHOUT ROWID;
        CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
      `),
  },
  {
    version: 2,
    description: 'time-major raw samples, series kinds and resume points, rollups, batches',
    up(db) {
      db.exec(`
        ALTER TABLE series ADD COLUMN kind TEXT NOT NULL DEFAULT 'gauge';
        ALTER TABLE series ADD COLUMN first_ms INTEGER;
        ALTER TABLE series ADD COLUMN last_ms INTEGER;
        ALTER TABLE series ADD COLUMN closed_ms INTEGER;
        ALTER TABLE series ADD COLUMN carry_ms INTEGER;
        ALTER TABLE series ADD COLUMN carry_value REAL;
        CREATE TABLE sample_by_time (
          time_ms INTEGER NOT NULL,
          series INTEGER NOT NULL,
          value REAL,
          quality INTEGER NOT NULL,
          PRIMARY KEY (time_ms, series)
        ) WITHOUT ROWID;
        INSERT INTO sample_by_time (time_ms, series, value, quality)
          SELECT time_ms, series, value, quality FROM sample ORDER BY time_ms, series;
        DROP TABLE sample;
        ALTER TABLE sample_by_time RENAME TO sample;
        CREATE TABLE rollup (
          res INTEGER NOT NULL,
          series INTEGER NOT NULL,
          start_ms INTEGER NOT NULL,
          n INTEGER NOT NULL,
          sum REAL,
          min REAL,
          max REAL,
          delta REAL,
          pos REAL,
          neg REAL,
          gap_ms INTEGER,
          flags INTEGER NOT NULL DEFAULT 0,
          PRIMARY KEY (res, series, start_ms)
        ) WITHOUT ROWID;
        CREATE TABLE batch (
          id INTEGER PRIMARY KEY,
          committed_ms INTEGER NOT NULL,
          samples INTEGER NOT NULL,
          first_ms INTEGER,
          last_ms INTEGER
        );
      `);
      const setKind = db.prepare('UPDATE series SET kind = ? WHERE id = ?');
      for (const row of db.prepare('SELECT id, quantity FROM series').all() as Array<{
        id: number;
        quantity: string;
      }>)
        setKind.run(seriesKindOf(row.quantity), row.id);
      // first_ms and last_ms stay unknown (NULL): the first start replays these series from raw.
      db.pragma(`application_id = ${APPLICATION_ID}`);
    },
  },
  {
    version: 3,
    // IF NOT EXISTS: consoles before this migration created the table outside the schema.
    description: 'audit log of commands to field devices',
    up: (db) =>
      db.exec(`
        CREATE TABLE IF NOT EXISTS audit_log (
          id INTEGER PRIMARY KEY,
          time_ms INTEGER NOT NULL,
          actor TEXT NOT NULL,
          kind TEXT NOT NULL,
          target TEXT NOT NULL,
          command TEXT NOT NULL,
          status TEXT NOT NULL CHECK (status IN ('done', 'refused', 'failed')),
          reason TEXT,
          duration_ms INTEGER NOT NULL
        );
        CREATE INDEX IF NOT EXISTS audit_log_time ON audit_log (time_ms);
      `),
  },
];

export const SCHEMA_VERSION = migrations.at(-1)?.version ?? 0;

export class HistorianOpenError extends Error {
  override name = 'HistorianOpenError';
}

export interface OpenOptions {
  /**
   * Caps the file at this many pages on this connection, as a full disk would: used by tests,
   * since a small file system cannot be mounted there.
   */
  maxPageCount?: number;
}

/** What the first 100 bytes of a file say it is. */
export type FileVerdict =
  | { kind: 'missing' | 'empty' }
  | { kind: 'ours'; version: number }
  | { kind: 'legacy'; version: number }
  | { kind: 'newer'; version: number }
  | { kind: 'foreign'; reason: string };

/** Reads the SQLite header without SQLite, so nothing is created, locked or converted. */
export function inspectFile(file: string): FileVerdict {
  let fd: number;
  try {
    fd = fs.openSync(file, 'r');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return { kind: 'missing' };
    throw new HistorianOpenError(`cannot read ${file}: ${describeFsError(error)}`);
  }
  const header = Buffer.alloc(100);
  let read: number;
  try {
    read = fs.readSync(fd, header, 0, 100, 0);
  } finally {
    fs.closeSync(fd);
  }
  if (read === 0) return { kind: 'empty' };
  if (read < 100 || header.toString('latin1', 0, 16) !== 'SQLite format 3\u0000')
    return { kind: 'foreign', reason: 'it is not an SQLite database' };
  const version = header.readUInt32BE(60);
  const applicationId = header.readUInt32BE(68);
  if (applicationId === APPLICATION_ID)
    return version > SCHEMA_VERSION ? { kind: 'newer', version } : { kind: 'ours', version };
  if (applicationId !== 0)
    return {
      kind: 'foreign',
      reason: `it belongs to another application (application id 0x${applicationId.toString(16)})`,
    };
  // Version 1 files predate the application id; their tables are checked once opened read-only.
  if (version === 1) return { kind: 'legacy', version };
  if (version === 0 && header.readUInt32BE(28) <= 1 && header.readUInt32BE(40) === 0)
    return { kind: 'empty' };
  return { kind: 'foreign', reason: `it is an SQLite database of another program (user version ${version})` };
}

/** Opens (creating if needed) `DIR/historian.db`, checks it is ours, and migrates it. */
export function openHistorianDb(dataDir: string, options: OpenOptions = {}): Db {
  const file = path.join(dataDir, HISTORIAN_FILE);
  try {
    fs.mkdirSync(dataDir, { recursive: true });
  } catch (error) {
    throw new HistorianOpenError(`cannot create the data directory ${dataDir}: ${describeFsError(error)}`);
  }
  const verdict = inspectFile(file);
  refuseUnlessOurs(verdict, file);
  if (verdict.kind === 'legacy') checkLegacyTables(file);
  checkWritable(dataDir, file, verdict.kind !== 'missing');

  let db: Db;
  try {
    db = new Database(file);
  } catch (error) {
    throw new HistorianOpenError(`cannot open ${file}: ${describeSqliteError(error, dataDir)}`);
  }
  try {
    if (options.maxPageCount !== undefined) db.pragma(`max_page_count = ${options.maxPageCount}`);
    db.pragma('busy_timeout = 2000');
    // Before WAL: a migration that fails (a full disk) rolls back and leaves the file as it was.
    migrate(db);
    startupCheck(db);
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    // An emptied WAL is cut back to this size rather than kept at its largest.
    db.pragma(`journal_size_limit = ${64 * 1024 * 1024}`);
  } catch (error) {
    db.close();
    throw new HistorianOpenError(`cannot prepare ${file}: ${describeSqliteError(error, dataDir)}`);
  }
  return db;
}

/**
 * Opens the historian for reading only (exports, checks), never creating, migrating or
 * converting anything. Refuses a file of another schema version with what to do.
 */
export function openHistorianReadOnly(dataDir: string): Db {
  const file = path.join(dataDir, HISTORIAN_FILE);
  const verdict = inspectFile(file);
  if (verdict.kind === 'missing' || verdict.kind === 'empty')
    throw new HistorianOpenError(
      `there is no historian in ${dataDir} (${file} ${verdict.kind === 'missing' ? 'does not exist' : 'is empty'}): check --data`,
    );
  refuseUnlessOurs(verdict, file);
  if (verdict.kind === 'legacy' || (verdict.kind === 'ours' && verdict.version < SCHEMA_VERSION))
    throw new HistorianOpenError(
      `${file} has schema version ${verdict.version}; start the console once (commonwatt serve --data ${dataDir}) to upgrade it to ${SCHEMA_VERSION}`,
    );
  if (!fs.existsSync(`${file}-shm`) && !isWritable(dataDir))
    throw new HistorianOpenError(
      `${dataDir} is read-only and SQLite must create ${path.basename(file)}-shm beside a WAL database to read it: ` +
        `copy the directory somewhere writable (cp -a) and give that as --data`,
    );
  try {
    const db = new Database(file, { readonly: true, fileMustExist: true });
    db.pragma('busy_timeout = 2000');
    return db;
  } catch (error) {
    throw new HistorianOpenError(`cannot open ${file}: ${describeSqliteError(error, dataDir)}`);
  }
}

function refuseUnlessOurs(verdict: FileVerdict, file: string): void {
  if (verdict.kind === 'foreign')
    throw new HistorianOpenError(
      `${file} is not a Commonwatt historian: ${verdict.reason}. It was left untouched; move it away or choose another --data directory`,
    );
  if (verdict.kind === 'newer')
    throw new HistorianOpenError(
      `${file} was written by a newer Commonwatt (schema version ${verdict.version}, this one knows ${SCHEMA_VERSION}); it was left untouched: upgrade Commonwatt`,
    );
}

function checkLegacyTables(file: string): void {
  let tables: string[];
  try {
    const probe = new Database(file, { readonly: true, fileMustExist: true });
    try {
      tables = (
        probe.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all() as Array<{
          name: string;
        }>
      ).map((r) => r.name);
    } finally {
      probe.close();
    }
  } catch (error) {
    throw new HistorianOpenError(`cannot read ${file}: ${describeSqliteError(error, path.dirname(file))}`);
  }
  if (tables.join(',') !== 'meta,sample,series')
    throw new HistorianOpenError(
      `${file} is not a Commonwatt historian: it has user version 1 but tables ${tables.join(', ') || 'none'}. It was left untouched; move it away or choose another --data directory`,
    );
}

function isWritable(dir: string): boolean {
  try {
    fs.accessSync(dir, fs.constants.W_OK);
    return true;
  } catch {
    return false;
  }
}

function checkWritable(dataDir: string, file: string, exists: boolean): void {
  try {
    fs.accessSync(dataDir, fs.constants.W_OK);
    if (exists) fs.accessSync(file, fs.constants.W_OK);
  } catch (error) {
    throw new HistorianOpenError(
      `cannot write in ${exists ? file : dataDir}: ${describeFsError(error)}; the historian needs a writable --data directory`,
    );
  }
}

/**
 * What the console checks before it writes, in time that does not grow with the file: one path
 * from the root to the first and the last leaf of every table, which a damaged page on the way
 * makes fail. The full check follows on a worker (see Checkpointer, checkInBackground).
 */
export function startupCheck(db: Db): void {
  for (const sql of [
    'SELECT * FROM meta',
    'SELECT * FROM series',
    'SELECT min(time_ms), max(time_ms) FROM sample',
    'SELECT min(id), max(id) FROM batch',
    'SELECT * FROM rollup ORDER BY res, series, start_ms LIMIT 1',
    'SELECT * FROM rollup ORDER BY res DESC, series DESC, start_ms DESC LIMIT 1',
    'SELECT * FROM batch ORDER BY id DESC LIMIT 1',
  ])
    db.prepare(sql).all();
}

function migrate(db: Db): void {
  const version = db.pragma('user_version', { simple: true }) as number;
  if (version > SCHEMA_VERSION)
    throw new Error(`schema version ${version} is newer than this program understands (${SCHEMA_VERSION})`);
  for (const migration of migrations) {
    if (migration.version <= version) continue;
    db.transaction(() => {
      migration.up(db);
      db.pragma(`user_version = ${migration.version}`);
    })();
  }
  if ((db.pragma('application_id', { simple: true }) as number) !== APPLICATION_ID)
    db.pragma(`application_id = ${APPLICATION_ID}`);
}

export function describeFsError(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  switch (code) {
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'EROFS':
      return 'the file system is read-only';
    case 'ENOSPC':
      return 'the disk is full';
    case 'ENOTDIR':
      return 'a part of the path is not a directory';
    default:
      return (error as Error).message;
  }
}

/** An SQLite failure in words a technician can act on. */
export function describeSqliteError(error: unknown, dataDir: string): string {
  const code = (error as { code?: string }).code ?? '';
  const message = (error as Error).message;
  if (code === 'SQLITE_FULL')
    return `the disk holding ${dataDir} is full (${message}): free some space; nothing was lost that was already written`;
  if (code.startsWith('SQLITE_READONLY'))
    return `${dataDir} is read-only (${message}): give the console a writable --data directory`;
  if (code.startsWith('SQLITE_CANTOPEN'))
    return `cannot open a file in ${dataDir} (${message}): check that the directory exists and is writable`;
  if (code === 'SQLITE_CORRUPT' || code === 'SQLITE_NOTADB' || code.startsWith('SQLITE_CORRUPT'))
    return `the database is damaged (${message}): run 'commonwatt db check --data ${dataDir}'`;
  if (code === 'SQLITE_BUSY' || code === 'SQLITE_LOCKED')
    return `the database is in use by another process (${message}): stop the other console first`;
  if (code.startsWith('SQLITE_IOERR')) return `the disk reported an I/O error (${message}): check the disk`;
  return message;
}

export function readMeta(db: Db, key: string): string | null {
  const row = db.prepare('SELECT value FROM meta WHERE key = ?').get(key) as { value: string } | undefined;
  return row?.value ?? null;
}

export function writeMeta(db: Db, key: string, value: string): void {
  db.prepare(
    'INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value',
  ).run(key, value);
}

/** Meta keys: the site the data belongs to (exports and checks read it) and whether a run ended cleanly. */
export const META_SITE = 'site_json';
export const META_RUN_STATE = 'run_state';
export const META_INTERVAL = 'interval_minutes';

/** The site the console last ran with on this file, so exports and checks need no site file. */
export function readStoredSite(db: Db): SiteFile | null {
  const text = readMeta(db, META_SITE);
  if (text === null) return null;
  try {
    return JSON.parse(text) as SiteFile;
  } catch {
    return null;
  }
}
