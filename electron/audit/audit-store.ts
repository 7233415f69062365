// The audit trail on disk: DIR/audit.db, its own SQLite file so that it is kept, backed up and
// checked apart from the historian's samples (which are rolled up and pruned). Ids come from the
// table and are never reused; each record is chained to the one before (see audit-trail.ts) and
// written with synchronous=FULL, since a record of who opened a breaker must survive a power cut.
import Database from 'better-sqlite3';
import path from 'node:path';
import type { AuditQuery, AuditRecord } from '../../shared/api/audit-api.ts';
import { AUDIT_GENESIS, recordFrom, type AuditEntry, type AuditTrail } from '../platform/audit-trail.ts';

export const AUDIT_FILE = 'audit.db';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS audit (
  id INTEGER PRIMARY KEY,
  at_ms INTEGER NOT NULL,
  user TEXT,
  role TEXT,
  transport TEXT NOT NULL,
  peer TEXT NOT NULL,
  action TEXT NOT NULL,
  what TEXT NOT NULL,
  result TEXT NOT NULL,
  reason TEXT NOT NULL,
  hash TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS audit_at ON audit (at_ms);
`;

interface Row {
  id: number;
  at_ms: number;
  user: string | null;
  role: AuditRecord['role'];
  transport: AuditRecord['transport'];
  peer: string;
  action: string;
  what: string;
  result: AuditRecord['result'];
  reason: string;
  hash: string;
}

const fromRow = (r: Row): AuditRecord => ({
  id: r.id,
  atMs: r.at_ms,
  user: r.user,
  role: r.role,
  transport: r.transport,
  peer: r.peer,
  action: r.action,
  what: r.what,
  result: r.result,
  reason: r.reason,
  hash: r.hash,
});

export class AuditStore implements AuditTrail {
  private readonly db: Database.Database;
  private readonly append: Database.Transaction<(entry: AuditEntry) => AuditRecord>;

  /** Opens (or creates) DIR/audit.db; `readOnly` for `commonwatt audit` beside a running console. */
  constructor(dataDir: string, options: { readOnly?: boolean } = {}) {
    const file = path.join(dataDir, AUDIT_FILE);
    this.db = new Database(file, options.readOnly ? { readonly: true, fileMustExist: true } : {});
    if (!options.readOnly) {
      this.db.pragma('journal_mode = WAL');
      this.db.pragma('synchronous = FULL');
      this.db.pragma('busy_timeout = 5000');
      this.db.exec(SCHEMA);
    }
    const lastRow = this.db.prepare('SELECT id, hash FROM audit ORDER BY id DESC LIMIT 1');
    const insert = this.db.prepare(
      'INSERT INTO audit (id, at_ms, user, role, transport, peer, action, what, result, reason, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
    );
    this.append = this.db.transaction((entry: AuditEntry) => {
      const last = (lastRow.get() as { id: number; hash: string } | undefined) ?? {
        id: 0,
        hash: AUDIT_GENESIS,
      };
      const r = recordFrom(last.id + 1, last.hash, entry);
      insert.run(
        r.id,
        r.atMs,
        r.user,
        r.role,
        r.transport,
        r.peer,
        r.action,
        r.what,
        r.result,
        r.reason,
        r.hash,
      );
      return r;
    });
  }

  record(entry: AuditEntry): AuditRecord {
    // The chain's end is read inside the write transaction, not cached: `commonwatt users` may
    // append from another process while the console runs.
    return this.append.immediate(entry);
  }

  /** Newest first, filtered. */
  list(query: AuditQuery = {}): AuditRecord[] {
    const where: string[] = [];
    const args: Array<string | number> = [];
    const add = (clause: string, ...values: Array<string | number>) => {
      where.push(clause);
      args.push(...values);
    };
    if (query.user !== undefined) add('user = ?', query.user);
    if (query.action !== undefined) {
      if (query.action.endsWith('/')) add('substr(action, 1, ?) = ?', query.action.length, query.action);
      else add('action = ?', query.action);
    }
    if (query.result !== undefined) add('result = ?', query.result);
    if (query.fromMs !== undefined) add('at_ms >= ?', query.fromMs);
    if (query.toMs !== undefined) add('at_ms < ?', query.toMs);
    const sql = `SELECT * FROM audit ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id DESC LIMIT ?`;
    return (this.db.prepare(sql).all(...args, query.limit ?? 500) as Row[]).map(fromRow);
  }

  /** Every record in id order, for the chain check and exports. */
  *all(): Iterable<AuditRecord> {
    for (const row of this.db.prepare('SELECT * FROM audit ORDER BY id').iterate() as Iterable<Row>)
      yield fromRow(row);
  }

  close(): void {
    this.db.close();
  }
}
