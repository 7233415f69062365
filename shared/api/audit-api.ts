// The audit calls of the API (see contract.ts): one trail of every state-changing call and every
// refused or failed attempt (sign-ins, WebSocket upgrades, CLI tokens, calls without the role),
// with the user from the session, never from the request. Records are hash-chained like the ledger.
import { z } from 'zod';
import { reads, type CallAccess, type Role, type Transport } from './access.ts';
import type { EpochMs } from '../units.ts';

export const auditResults = ['ok', 'refused', 'failed'] as const;
export type AuditResult = (typeof auditResults)[number];

export interface AuditRecord {
  /** Persistent: never reused, also across restarts. */
  id: number;
  atMs: EpochMs;
  /** The signed-in user, or null where nobody was (a refused upgrade, a failed sign-in). */
  user: string | null;
  role: Role | null;
  transport: Transport;
  /** The caller's address, `window N` for the desktop app, `local` for the console itself. */
  peer: string;
  /** The call (`control/command`) or event (`auth/sign-in`, `ws/upgrade`, `cli/token`). */
  action: string;
  /** What was asked, in words (`shed tier 3`, `sign in as ana`). */
  what: string;
  result: AuditResult;
  /** Why it was refused or failed; what came of it otherwise. */
  reason: string;
  /** SHA-256 over the previous record's hash and this record's fields. */
  hash: string;
}

export interface AuditQuery {
  user?: string;
  /** A call or event name, or a prefix ending in '/' (`control/`). */
  action?: string;
  result?: AuditResult;
  fromMs?: number;
  toMs?: number;
  limit?: number;
}

export interface AuditApi {
  /** Newest first. */
  'audit/list': { request: AuditQuery; response: AuditRecord[] };
}

export const auditQuerySchema = z
  .object({
    user: z.string().min(1).max(64).optional(),
    action: z.string().min(1).max(64).optional(),
    result: z.enum(auditResults).optional(),
    fromMs: z.number().int().nonnegative().optional(),
    toMs: z.number().int().nonnegative().optional(),
    limit: z.number().int().min(1).max(10_000).optional(),
  })
  .strict();

export const auditSchemas: { [K in keyof AuditApi]: z.ZodType<AuditApi[K]['request']> } = {
  'audit/list': auditQuerySchema,
};

/** Who may make each audit call (see access.ts). */
export const auditAccess: { [K in keyof AuditApi]: CallAccess } = {
  'audit/list': reads('operator'),
};

// No event: records reach only those whose role may list them, when they ask.
export type AuditEvents = Record<never, never>;
export const auditEventNames = [] as const;
