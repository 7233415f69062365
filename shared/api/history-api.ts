// The history calls of the API (see contract.ts): time series at an automatic resolution, energy
// per member by interval, hour, day or month, chunked exports and the historian's health.
// Times are epoch ms; days and months are the site's local ones.
import { reads, type CallAccess } from './access.ts';
import { z } from 'zod';
import type { EpochMs } from '../units.ts';

/** 'raw', '1m', the settlement interval ('5m' … '30m'), '1h' or '1d'. */
export type HistoryResolution = string;

export type HistoryTargetKind = 'member' | 'feeder' | 'device' | 'site';

export interface HistoryTarget {
  kind: HistoryTargetKind;
  /** Member, feeder (branch), device id; ignored for the site (its PCC meter). */
  id: string;
}

export interface HistorySeries {
  /** `kind:id:quantity`, stable for a chart's legend. */
  key: string;
  target: HistoryTarget;
  quantity: string;
  unit: string;
  kind: 'counter' | 'power' | 'gauge';
  /** Summed from several meters (a feeder without a head meter). */
  derived: boolean;
  /** Sample times (raw) or bucket starts, ms. */
  times: EpochMs[];
  /**
   * Raw: the reading. Buckets: the mean for gauges and power; for counters the increase in the
   * bucket (kWh for energy), i.e. the energy of that minute, interval, hour or day.
   */
  values: Array<number | null>;
  /** Buckets of gauges and power: extremes (null for raw, counters and derived sums). */
  min: Array<number | null> | null;
  max: Array<number | null> | null;
  /** False where a bucket has a gap, a counter reset or a bad sample. */
  complete: boolean[];
  /** Buckets from this start on are still open (they grow until they close), or null. */
  openFromMs: EpochMs | null;
}

export interface HistoryQuery {
  from: EpochMs;
  to: EpochMs;
  targets: HistoryTarget[];
  /** Quantities per target; default: power and both energies for members and the site, power for feeders. */
  quantities?: string[];
  /** A resolution, or 'auto' (default): the finest one kept for the range that fits `maxPoints`. */
  resolution?: HistoryResolution;
  maxPoints?: number;
}

export interface HistoryQueryResult {
  from: EpochMs;
  to: EpochMs;
  resolution: HistoryResolution;
  /** Nominal bucket length, ms (null for raw; a local day may last 23 or 25 hours). */
  bucketMs: number | null;
  series: HistorySeries[];
  /** Resolutions kept, finest first, and from when each is available. */
  available: Array<{ resolution: HistoryResolution; fromMs: EpochMs | null }>;
  elapsedMs: number;
}

export type EnergyPeriod = 'interval' | 'hour' | 'day' | 'month';

export interface EnergyQuery {
  from: EpochMs;
  to: EpochMs;
  period: EnergyPeriod;
  /** Default: every member. */
  members?: string[];
}

export interface MemberEnergy {
  member: string;
  name: string;
  /** kWh per period; null where nothing was recorded. */
  importKWh: Array<number | null>;
  exportKWh: Array<number | null>;
  complete: boolean[];
}

export interface EnergyResult {
  period: EnergyPeriod;
  timeZone: string;
  periods: Array<{ startMs: EpochMs; endMs: EpochMs; label: string }>;
  members: MemberEnergy[];
  elapsedMs: number;
}

export interface ExportRequest {
  from: EpochMs;
  to: EpochMs;
  member?: string;
  device?: string;
  resolution: HistoryResolution;
  format: 'csv' | 'json';
}

export interface ExportStarted {
  jobId: string;
  fileName: string;
  mimeType: string;
}

export interface ExportChunk {
  /** The next part of the file, to be appended to the previous ones. */
  text: string;
  rows: number;
  /** 0..1, by time covered. */
  progress: number;
  done: boolean;
}

export interface HistoryStatus {
  file: string;
  sizeBytes: number;
  walBytes: number;
  schemaVersion: number;
  synchronous: string;
  timeZone: string;
  intervalMinutes: number;
  retention: { rawDays: number; minuteDays: number };
  rawFromMs: EpochMs | null;
  /** The last commit: its samples are durable against a crash of the console. */
  committed: {
    batchId: number;
    samples: number;
    firstMs: EpochMs | null;
    lastMs: EpochMs | null;
    committedMs: EpochMs;
  } | null;
  /** Samples committed, dropped (duplicates, late) and lost (commits failing too long) since start. */
  samplesWritten: number;
  samplesDropped: number;
  samplesLost: number;
  pendingSamples: number;
  /**
   * Main-thread time per cycle, ms, over the last 10 minutes: posting the samples to the ingest
   * worker (inline: the commit, rollups and retention). The wall time bounds the main thread's
   * time; the CPU time is the whole process's during the cycle, so it counts the worker too.
   */
  cycleMs: { count: number; last: number; p50: number; p99: number; max: number };
  cycleCpuMs: { count: number; last: number; p50: number; p99: number; max: number };
  /** Where commits run ('worker': a worker thread, off the main thread), and the writer's time per batch, ms. */
  ingest?: {
    mode: 'worker' | 'inline';
    commitMs: { count: number; last: number; p50: number; p99: number; max: number };
  };
  lastError: string | null;
  checkpoints: { mode: 'worker' | 'inline'; last: { atMs: EpochMs; ms: number; walFrames: number } | null };
  startup: { checkMs: number; recoveredFromCrash: boolean; replayedSamples: number; recoveryMs: number };
  /** The background quick_check: 'pending', 'ok', 'unavailable', or SQLite's findings. */
  integrity: string;
}

export interface HistoryApi {
  /** Time series of members, feeders, devices or the site over any range. */
  'history/query': { request: HistoryQuery; response: HistoryQueryResult };
  /** Starts an export; fetch it with 'history/export-next' until done. */
  'history/export-start': { request: ExportRequest; response: ExportStarted };
  'history/export-next': { request: { jobId: string }; response: ExportChunk };
  'history/export-cancel': { request: { jobId: string }; response: { cancelled: boolean } };
  'history/status': { request: Record<string, never>; response: HistoryStatus };
}

const epochMs = z.number().int().nonnegative();
const resolution = z.string().regex(/^(raw|\d+m|1h|1d)$/, "must be 'raw', '1m', '15m', '1h' or '1d'");
// Typed on the fields it reads, so it refines any request that has a range.
const toAfterFrom = (r: { from: number; to: number }) => r.to > r.from;
const toAfterFromError = { message: 'to must be after from', path: ['to'] };

export const historySchemas: { [K in keyof HistoryApi]: z.ZodType<HistoryApi[K]['request']> } = {
  'history/query': z
    .object({
      from: epochMs,
      to: epochMs,
      targets: z
        .array(
          z
            .object({ kind: z.enum(['member', 'feeder', 'device', 'site']), id: z.string().max(200) })
            .strict(),
        )
        .min(1)
        .max(50),
      quantities: z.array(z.string().min(1).max(64)).max(20).optional(),
      resolution: z.union([z.literal('auto'), resolution]).optional(),
      maxPoints: z.number().int().min(10).max(20_000).optional(),
    })
    .strict()
    .refine(toAfterFrom, toAfterFromError),
  'history/export-start': z
    .object({
      from: epochMs,
      to: epochMs,
      member: z.string().min(1).max(200).optional(),
      device: z.string().min(1).max(200).optional(),
      resolution,
      format: z.enum(['csv', 'json']),
    })
    .strict()
    .refine(toAfterFrom, toAfterFromError)
    .refine((r) => !(r.member && r.device), {
      message: 'give a member or a device, not both',
      path: ['device'],
    }),
  'history/export-next': z.object({ jobId: z.string().min(1).max(64) }).strict(),
  'history/export-cancel': z.object({ jobId: z.string().min(1).max(64) }).strict(),
  'history/status': z.object({}).strict(),
};

// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface HistoryEvents {}
export const historyEventNames: ReadonlyArray<keyof HistoryEvents> = [];

/** Who may make each history call (see access.ts). */
export const historyAccess: { [K in keyof HistoryApi]: CallAccess } = {
  'history/query': reads(),
  'history/export-start': reads(),
  'history/export-next': reads(),
  'history/export-cancel': reads(),
  'history/status': reads(),
};
