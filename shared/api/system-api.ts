// System and live calls: what the console is, the site it runs, the live snapshot.
import { reads, type CallAccess } from './access.ts';
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

export interface SystemApi {
  'system/info': { request: Record<string, never>; response: SystemInfo };
  'site/get': { request: Record<string, never>; response: SiteFile };
  'live/snapshot': { request: Record<string, never>; response: LiveSnapshot };
  /** Recent raw samples of one device quantity from the historian. */
  'history/recent': {
    request: { device: string; quantity: string; sinceMs: number };
    response: RecentPoint[];
  };
}

const empty = z.object({}).strict();

export const systemSchemas: { [K in keyof SystemApi]: z.ZodType<SystemApi[K]['request']> } = {
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

export interface SystemEvents {
  /** Pushed after every poll cycle. */
  'live/snapshot': LiveSnapshot;
}
export const systemEventNames = ['live/snapshot'] as const;

/** Who may make each system call (see access.ts). */
export const systemAccess: { [K in keyof SystemApi]: CallAccess } = {
  'system/info': reads(),
  'site/get': reads(),
  'live/snapshot': reads(),
  'history/recent': reads(),
};
