// The audit calls (see shared/api/audit-api.ts): the trail, filtered, newest first.
import type { AuditApi } from '../../shared/api/audit-api.ts';
import type { HandlersOf } from '../../shared/api/contract.ts';
import type { ConsolePart } from '../platform/console-part.ts';
import type { AuditStore } from './audit-store.ts';

export function createAuditPart(store: AuditStore): ConsolePart<HandlersOf<AuditApi>> {
  return { handlers: { 'audit/list': (query) => store.list(query) } };
}
