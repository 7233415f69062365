// The one API between the console's back end and its renderer. Every call is named
// 'domain/action' and maps to its request and response types; both transports (Electron IPC
// and WebSocket) carry exactly this map, and requests are validated against `requestSchemas`
// before any handler runs, and each call declares the role it needs (`callAccess`, checked by
// the dispatcher before the request is even parsed). Each domain declares its calls in its own
// file under shared/api/.
import type { z } from 'zod';
import type { CallAccess, Caller } from './access.ts';
import { auditAccess, auditEventNames, auditSchemas, type AuditApi, type AuditEvents } from './audit-api.ts';
import { authAccess, authEventNames, authSchemas, type AuthApi, type AuthEvents } from './auth-api.ts';
import {
  controlAccess,
  controlEventNames,
  controlSchemas,
  type ControlApi,
  type ControlEvents,
} from './control-api.ts';
import { fieldAccess, fieldEventNames, fieldSchemas, type FieldApi, type FieldEvents } from './field-api.ts';
import {
  historyAccess,
  historyEventNames,
  historySchemas,
  type HistoryApi,
  type HistoryEvents,
} from './history-api.ts';
import {
  marketAccess,
  marketEventNames,
  marketSchemas,
  type MarketApi,
  type MarketEvents,
} from './market-api.ts';
import {
  settlementAccess,
  settlementEventNames,
  settlementSchemas,
  type SettlementApi,
  type SettlementEvents,
} from './settlement-api.ts';
import {
  simulatorAccess,
  simulatorEventNames,
  simulatorSchemas,
  type SimulatorApi,
  type SimulatorEvents,
} from './simulator-api.ts';
import {
  systemAccess,
  systemEventNames,
  systemSchemas,
  type SystemApi,
  type SystemEvents,
} from './system-api.ts';

export type { SystemInfo, RecentPoint } from './system-api.ts';

export interface Api
  extends
    SystemApi,
    AuthApi,
    AuditApi,
    HistoryApi,
    FieldApi,
    ControlApi,
    MarketApi,
    SettlementApi,
    SimulatorApi {}

export type ApiName = keyof Api;
export type ApiRequest<K extends ApiName> = Api[K]['request'];
export type ApiResponse<K extends ApiName> = Api[K]['response'];

export const requestSchemas: { [K in ApiName]: z.ZodType<ApiRequest<K>> } = {
  ...systemSchemas,
  ...authSchemas,
  ...auditSchemas,
  ...historySchemas,
  ...fieldSchemas,
  ...controlSchemas,
  ...marketSchemas,
  ...settlementSchemas,
  ...simulatorSchemas,
};

export interface ApiEvents
  extends
    SystemEvents,
    AuthEvents,
    AuditEvents,
    HistoryEvents,
    FieldEvents,
    ControlEvents,
    MarketEvents,
    SettlementEvents,
    SimulatorEvents {}
export type ApiEventName = keyof ApiEvents;

export const apiEventNames: readonly ApiEventName[] = [
  ...systemEventNames,
  ...authEventNames,
  ...auditEventNames,
  ...historyEventNames,
  ...fieldEventNames,
  ...controlEventNames,
  ...marketEventNames,
  ...settlementEventNames,
  ...simulatorEventNames,
];

/** The role each call needs; the type makes a call without a declared role a compile error. */
export const callAccess: { [K in ApiName]: CallAccess } = {
  ...systemAccess,
  ...authAccess,
  ...auditAccess,
  ...historyAccess,
  ...fieldAccess,
  ...controlAccess,
  ...marketAccess,
  ...settlementAccess,
  ...simulatorAccess,
};

export function isApiName(name: unknown): name is ApiName {
  return typeof name === 'string' && Object.hasOwn(requestSchemas, name);
}

/**
 * Why a call did not run or did not succeed, one vocabulary for every handler and transport:
 * - unauthenticated: no valid session; forbidden: the session's role may not make this call;
 * - reauthenticate: a control action needs the password again (the session proved it too long ago);
 * - invalid: the request does not match its schema, or breaks a rule of the domain;
 * - not-found: it names something that does not exist; conflict: it clashes with the current state;
 * - unavailable: not possible here and now (no simulator, no ledger, the console is starting);
 * - unknown-call: no such call; failed: it ran and something went wrong.
 */
export const failureCodes = [
  'unauthenticated',
  'forbidden',
  'reauthenticate',
  'invalid',
  'not-found',
  'conflict',
  'unavailable',
  'unknown-call',
  'failed',
] as const;
export type FailureCode = (typeof failureCodes)[number];

/** A call that failed, as both transports report it. */
export interface ApiFailure {
  code: FailureCode;
  message: string;
}

/** What a handler is given beside its request: who calls, as the session says. */
export interface CallContext {
  caller: Caller;
}

export type ApiHandlers = {
  [K in ApiName]: (request: ApiRequest<K>, call: CallContext) => ApiResponse<K> | Promise<ApiResponse<K>>;
};
/** The handlers of one domain, so each part of the back end contributes its own. */
export type HandlersOf<A> = {
  [K in keyof A]: A[K] extends { request: infer Q; response: infer R }
    ? (request: Q, call: CallContext) => R | Promise<R>
    : never;
};
