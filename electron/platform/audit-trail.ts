// The one audit trail every part writes to: who (from the session), how they reached the console,
// what, when, and what came of it. Each record's hash covers the previous record's hash and its
// own fields, so a record changed, removed or reordered after the fact breaks the chain there.
// The console keeps it in SQLite (electron/audit/audit-store.ts); scenarios and tests keep it in
// memory with the same chain.
import { createHash } from 'node:crypto';
import type { Role, Transport } from '../../shared/api/access.ts';
import type { AuditRecord, AuditResult } from '../../shared/api/audit-api.ts';

export const AUDIT_GENESIS = '0'.repeat(64);

export interface AuditActor {
  user: string | null;
  role: Role | null;
  transport: Transport;
  peer: string;
}

/** The console itself acting on its own (a scheduled command runs, the controller sheds). */
export const SYSTEM_ACTOR: AuditActor = { user: null, role: null, transport: 'system', peer: 'local' };

export interface AuditEntry {
  atMs: number;
  actor: AuditActor;
  action: string;
  what: string;
  result: AuditResult;
  reason: string;
}

export interface AuditTrail {
  record(entry: AuditEntry): AuditRecord;
}

/** The fields a record's hash covers, in a fixed order (JSON of an array: no key-order questions). */
export function auditHash(prevHash: string, r: Omit<AuditRecord, 'hash'>): string {
  const fields = [r.id, r.atMs, r.user, r.role, r.transport, r.peer, r.action, r.what, r.result, r.reason];
  return createHash('sha256').update(prevHash).update(JSON.stringify(fields)).digest('hex');
}

/** Texts are bounded so that a caller cannot grow the trail by sending long names. */
const MAX_TEXT = 500;
export function boundedText(text: string): string {
  return text.length > MAX_TEXT ? `${text.slice(0, MAX_TEXT)}…` : text;
}

export function recordFrom(id: number, prevHash: string, entry: AuditEntry): AuditRecord {
  const base: Omit<AuditRecord, 'hash'> = {
    id,
    atMs: entry.atMs,
    user: entry.actor.user === null ? null : boundedText(entry.actor.user),
    role: entry.actor.role,
    transport: entry.actor.transport,
    peer: boundedText(entry.actor.peer),
    action: boundedText(entry.action),
    what: boundedText(entry.what),
    result: entry.result,
    reason: boundedText(entry.reason),
  };
  return { ...base, hash: auditHash(prevHash, base) };
}

/** Walks records in id order; names the first whose hash or link does not hold. */
export function verifyAuditChain(
  records: Iterable<AuditRecord>,
): { ok: true; records: number } | { ok: false; id: number; reason: string } {
  let prev = AUDIT_GENESIS;
  let lastId = 0;
  let count = 0;
  for (const r of records) {
    if (r.id <= lastId) return { ok: false, id: r.id, reason: 'is out of order' };
    const { hash, ...rest } = r;
    if (auditHash(prev, rest) !== hash)
      return { ok: false, id: r.id, reason: 'does not match its hash (changed, or one before it removed)' };
    prev = hash;
    lastId = r.id;
    count++;
  }
  return { ok: true, records: count };
}

/** The trail in memory: for scenario runs and tests, where nothing outlives the process. */
export class MemoryAuditTrail implements AuditTrail {
  readonly records: AuditRecord[] = [];

  record(entry: AuditEntry): AuditRecord {
    const prev = this.records.at(-1);
    const record = recordFrom((prev?.id ?? 0) + 1, prev?.hash ?? AUDIT_GENESIS, entry);
    this.records.push(record);
    return record;
  }
}
