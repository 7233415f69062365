// Who asked the controller to do what, when, and what came of it. Every operator command is
// recorded, refused ones too; a sink (a JSON-lines file in the data directory for the console)
// keeps the record past a restart.
import type { AuditRecord, CommandOrigin, OperatorCommand } from '../../shared/api/control-api.ts';

export type AuditSink = (record: AuditRecord) => void;

const KEEP = 1000;

export class AuditLog {
  private readonly records: AuditRecord[] = [];
  private nextId = 1;

  constructor(private readonly sink: AuditSink = () => undefined) {}

  add(entry: {
    atMs: number;
    operator: string;
    origin: CommandOrigin;
    command: OperatorCommand;
    outcome: AuditRecord['outcome'];
    reason: string;
  }): AuditRecord {
    const record: AuditRecord = { id: this.nextId++, ...entry };
    this.records.push(record);
    if (this.records.length > KEEP) this.records.splice(0, this.records.length - KEEP);
    this.sink(record);
    return record;
  }

  /** Newest first. */
  list(limit = 100): AuditRecord[] {
    return this.records.slice(-limit).reverse();
  }
}
