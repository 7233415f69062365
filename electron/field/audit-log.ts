// The audit trail of field commands (who, what, when, result) in the historian's SQLite file.
// The table is this module's own and created here if missing, so the historian's migrations do
// not have to know about it; it only ever grows (nothing here updates or deletes a record).
import type { AuditRecord, CommandStatus, FieldCommand } from '../../shared/api/field-api.ts';
import type { Db } from '../historian/database.ts';

export interface AuditEntry {
  timeMs: number;
  actor: string;
  command: FieldCommand;
  target: string;
  status: CommandStatus;
  reason: string | null;
  durationMs: number;
}

export interface AuditLog {
  /** Records one command and returns its id. */
  append(entry: AuditEntry): number;
  recent(limit: number, sinceMs?: number): AuditRecord[];
}

export class SqliteAuditLog implements AuditLog {
  private readonly insert;
  private readonly select;

  constructor(db: Db) {
    // The table is part of the historian's schema (migration 3 in historian/database.ts).
    this.insert = db.prepare(
      'INSERT INTO audit_log (time_ms, actor, kind, target, command, status, reason, duration_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
    );
    this.select = db.prepare(
      'SELECT id, time_ms, actor, kind, target, command, status, reason, duration_ms FROM audit_log WHERE time_ms >= ? ORDER BY id DESC LIMIT ?',
    );
  }

  append(entry: AuditEntry): number {
    const info = this.insert.run(
      entry.timeMs,
      entry.actor,
      entry.command.kind,
      entry.target,
      JSON.stringify(entry.command),
      entry.status,
      entry.reason,
      Math.round(entry.durationMs),
    );
    return Number(info.lastInsertRowid);
  }

  recent(limit: number, sinceMs = 0): AuditRecord[] {
    const rows = this.select.all(sinceMs, limit) as Array<{
      id: number;
      time_ms: number;
      actor: string;
      kind: FieldCommand['kind'];
      target: string;
      command: string;
      status: CommandStatus;
      reason: string | null;
      duration_ms: number;
    }>;
    return rows.map((r) => ({
      id: r.id,
      timeMs: r.time_ms,
      actor: r.actor,
      kind: r.kind,
      target: r.target,
      command: JSON.parse(r.command) as FieldCommand,
      status: r.status,
      reason: r.reason,
      durationMs: r.duration_ms,
    }));
  }
}

/** An audit log in memory, for tests and for tools that run without a historian. */
export class MemoryAuditLog implements AuditLog {
  readonly records: AuditRecord[] = [];

  append(entry: AuditEntry): number {
    const id = this.records.length + 1;
    this.records.push({ id, kind: entry.command.kind, ...entry });
    return id;
  }

  recent(limit: number, sinceMs = 0): AuditRecord[] {
    return this.records
      .filter((r) => r.timeMs >= sinceMs)
      .slice(-limit)
      .reverse();
  }
}
