// The one API between the console's back end and its renderer. Every call is named
// 'domain/action' and maps to its request and response types; both transports (Electron IPC
// and WebSocket) carry exactly this map, and requests are validated against `requestSchemas`
// before any handler runs. Each domain declares its calls in its own file under shared/api/.
import type { z } from 'zod';
import { controlEventNames, controlSchemas, type ControlApi, type ControlEvents } from './control-api.ts';
import { fieldEventNames, fieldSchemas, type FieldApi, type FieldEvents } from './field-api.ts';
import { historyEventNames, historySchemas, type HistoryApi, type HistoryEvents } from './history-api.ts';
import { marketEventNames, marketSchemas, type MarketApi, type MarketEvents } from './market-api.ts';
import {
  settlementEventNames,
  settlementSchemas,
  type SettlementApi,
  type SettlementEvents,
} from './settlement-api.ts';
import {
  simulatorEventNames,
  simulatorSchemas,
  type SimulatorApi,
  type SimulatorEvents,
} from './simulator-api.ts';
import { systemEventNames, systemSchemas, type SystemApi, type SystemEvents } from './system-api.ts';

export type { SystemInfo, RecentPoint } from './system-api.ts';

export interface Api
  extends SystemApi, HistoryApi, FieldApi, ControlApi, MarketApi, SettlementApi, SimulatorApi {}

export type ApiName = keyof Api;
export type ApiRequest<K extends ApiName> = Api[K]['request'];
export type ApiResponse<K extends ApiName> = Api[K]['response'];

export const requestSchemas: { [K in ApiName]: z.ZodType<ApiRequest<K>> } = {
  ...systemSchemas,
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
    HistoryEvents,
    FieldEvents,
    ControlEvents,
    MarketEvents,
    SettlementEvents,
    SimulatorEvents {}
export type ApiEventName = keyof ApiEvents;

export const apiEventNames: readonly ApiEventName[] = [
  ...systemEventNames,
  ...historyEventNames,
  ...fieldEventNames,
  ...controlEventNames,
  ...marketEventNames,
  ...settlementEventNames,
  ...simulatorEventNames,
];

export function isApiName(name: unknown): name is ApiName {
  return typeof name === 'string' && Object.hasOwn(requestSchemas, name);
}

/** A call that failed, as both transports report it. */
export interface ApiFailure {
  code: 'invalid-request' | 'unknown-call' | 'failed' | 'refused';
  message: string;
}

export type ApiHandlers = {
  [K in ApiName]: (request: ApiRequest<K>) => ApiResponse<K> | Promise<ApiResponse<K>>;
};
/** The handlers of one domain, so each part of the back end contributes its own. */
export type HandlersOf<A> = {
  [K in keyof A]: A[K] extends { request: infer Q; response: infer R }
    ? (request: Q) => R | Promise<R>
    : never;
};
