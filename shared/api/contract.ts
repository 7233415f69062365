// The one API between the console's back end and its renderer. Every call is named
// 'domain/action' and maps to its request and response types; both transports (Electron IPC
// and WebSocket) carry exactly this map, and requests are validated against `requestSchemas`
// before any handler runs.
import { z } from 'zod';
import type { SiteFile } from '../site/schema.ts';
import type { LiveSnapshot } from './live.ts';

export interface SystemInfo {
  version: string;
  siteName: string;
  dataDir: string;
  simulated: boolean;
  startedMs: number;
  transport: 'ipc' | 'websocket';
}

export interface RecentPoint {
  timeMs: number;
  value: number;
}

export interface Api {
  'system/info': { request: Record<string, never>; response: SystemInfo };
  'site/get': { request: Record<string, never>; response: SiteFile };
  'live/snapshot': { request: Record<string, never>; response: LiveSnapshot };
  /** Recent raw samples of one device quantity from the historian. */
  'history/recent': {
    request: { device: string; quantity: string; sinceMs: number };
    response: RecentPoint[];
  };
}

export type ApiName = keyof Api;
export type ApiRequest<K extends ApiName> = Api[K]['request'];
export type ApiResponse<K extends ApiName> = Api[K]['response'];

const empty = z.object({}).strict();

export const requestSchemas: { [K in ApiName]: z.ZodType<ApiRequest<K>> } = {
  'system/info': empty,
  'site/get': empty,
  'live/snapshot': empty,
  'history/recent': z
    .object({
      device: z.string().min(1),
      quantity: z.string().min(1),
      sinceMs: z.number().int().nonnegative(),
    })
    .strict(),
};

export interface ApiEvents {
  /** Pushed after every poll cycle. */
  'live/snapshot': LiveSnapshot;
}
export type ApiEventName = keyof ApiEvents;

export function isApiName(name: unknown): name is ApiName {
  return typeof name === 'string' && Object.hasOwn(requestSchemas, name);
}

/** A call that failed, as both transports report it. */
export interface ApiFailure {
  code: 'invalid-request' | 'unknown-call' | 'failed';
  message: string;
}

export type ApiHandlers = {
  [K in ApiName]: (request: ApiRequest<K>) => ApiResponse<K> | Promise<ApiResponse<K>>;
};
