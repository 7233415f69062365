// The historian's SQLite file: opening, pragmas and schema migrations. The one module (with the
// ingest) that imports better-sqlite3. WAL lets the UI's reads run beside the poller's writes;
// synchronous=NORMAL survives a crash of the application (a power cut may lose the last
// transactions, never corrupt the file), which is the right trade for 1-second samples.
import Database from 'better-sqlite3';
import fs from 'node:fs';
import path from 'node:path';

export type Db = Database.Database;

interface Migration {
  version: number;
  description: string;
  sql: string;
}

const migrations: Migration[] = [
  {
    version: 1,
    description: 'series and raw samples',
    sql: `
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
    `,
  },
];

export const SCHEMA_VERSION = migrations.at(-1)?.version ?? 0;

export class HistorianOpenError extends Error {
  override name = 'HistorianOpenError';
}

/** Opens (creating if needed) `DIR/historian.db`, checks it is ours, and migrates it. */
export function openHistorianDb(dataDir: string): Db {
  try {
    fs.mkdirSync(dataDir, { recursive: true });
  } catch (error) {
    throw new HistorianOpenError(`cannot create the data directory ${dataDir}: ${(error as Error).message}`);
  }
  const file = path.join(dataDir, 'historian.db');
  let db: Db;
  try {
    db = new Database(file);
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.pragma('foreign_keys = ON');
    db.pragma('busy_timeout = 2000');
  } catch (error) {
    throw new HistorianOpenError(`cannot open ${file}: ${(error as Error).message}`);
  }
  try {
    migrate(db);
  } catch (error) {
    db.close();
    throw new HistorianOpenError(
      `${file} is not a Commonwatt historian database or is damaged: ${(error as Error).message}`,
    );
  }
  return db;
}

function migrate(db: Db): void {
  const version = db.pragma('user_version', { simple: true }) as number;
  if (version > SCHEMA_VERSION)
    throw new Error(`schema version ${version} is newer than this program understands (${SCHEMA_VERSION})`);
  if (version === 0) {
    // A file with tables of its own but no version is someone else's: leave it untouched.
    const tables = db.prepare("SELECT count(*) AS n FROM sqlite_master WHERE type = 'table'").get() as {
      n: number;
    };
    if (tables.n > 0) throw new Error('it holds tables but no Commonwatt schema version');
  }
  for (const migration of migrations) {
    if (migration.version <= version) continue;
    db.transaction(() => {
      db.exec(migration.sql);
      db.pragma(`user_version = ${migration.version}`);
    })();
  }
}
