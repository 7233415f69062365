// The historian part of the console: every completed device read is buffered and committed once a
// second in one transaction with the rollups it closes; expired rows are deleted a slice at a time,
// WAL checkpoints run on a worker thread, and the history API is answered. Each second's
// main-thread time (commit, rollups, retention) is measured and reported by 'history/status'.
import fs from 'node:fs';
import path from 'node:path';
import type { HandlersOf } from '../../shared/api/contract.ts';
import type { ExportChunk, HistoryApi, HistoryStatus } from '../../shared/api/history-api.ts';
import { quantityUnits } from '../../shared/api/live.ts';
import type { IntervalEnergies, IntervalMode } from '../../shared/settlement/interval-energy.ts';
import type { ConsoleContext, ConsolePart } from '../platform/console-part.ts';
import type { DeviceCycle } from '../field/poller.ts';
import { Checkpointer, checkInBackground } from './checkpointer.ts';
import {
  type Db,
  describeSqliteError,
  HISTORIAN_FILE,
  HistorianOpenError,
  META_INTERVAL,
  META_RUN_STATE,
  META_SITE,
  readMeta,
  SCHEMA_VERSION,
  writeMeta,
} from './database.ts';
import { ExportJob } from './exporter.ts';
import { intervalEnergies } from './interval-energy.ts';
import { queryHistory, type HistoryReader } from './queries.ts';
import { Retention, retentionFromEnv } from './retention.ts';
import { IngestClient } from './ingest-client.ts';
import { rollupOptionsFor } from './rollup-options.ts';
import { qualityCode, SampleWriter, type Sample } from './sample-writer.ts';
import { ApiRefusal } from '../platform/api-refusal.ts';

export { rollupOptionsFor } from './rollup-options.ts';

export interface HistorianPart extends ConsolePart<HandlersOf<HistoryApi>> {
  /** The exact energies of one settlement interval, as the market and settlement use them. */
  intervalEnergies(startMs: number, minutes: number, mode: IntervalMode): IntervalEnergies;
}

const FLUSH_PERIOD_MS = 1000;
const RETENTION_BUDGET_MS = 1.5;
/** Off the main thread a longer slice is fine: it only delays the worker's next commit. */
const WORKER_RETENTION_BUDGET_MS = 20;
const MAX_PENDING_SAMPLES = 300_000;
const CHECKPOINT_PERIOD_MS = 30_000;
const CYCLE_WINDOW = 600;
const EXPORT_IDLE_MS = 5 * 60_000;

/** What the historian needs beyond the shared context: every completed device read. */
export type HistorianContext = ConsoleContext & {
  db: Db;
  onCycle(listener: (cycle: DeviceCycle) => void): () => void;
};

export function createHistorianPart(ctx: HistorianContext): HistorianPart {
  const { db } = ctx;
  const site = ctx.sites.current();
  const file = path.join(ctx.dataDir, HISTORIAN_FILE);
  const rollups = rollupOptionsFor(site);
  const retentionPolicy = retentionFromEnv();
  const retention = new Retention(db, retentionPolicy);

  const checkStarted = performance.now();
  // A run that did not end cleanly left 'running' behind; the writer's recovery below replays the
  // stretch after each series' last closed interval, so nothing committed is lost or counted twice.
  // It runs here, before the console serves anything, so that a file that cannot be recovered
  // stops the start with a message; the worker then resumes from what it wrote.
  let recoveredFromCrash: boolean;
  let writer: SampleWriter;
  try {
    recoveredFromCrash = readMeta(db, META_RUN_STATE) === 'running';
    const previousInterval = readMeta(db, META_INTERVAL);
    if (previousInterval !== null && Number(previousInterval) !== site.market.intervalMinutes)
      ctx.log(
        `historian: the settlement interval changed from ${previousInterval} to ${site.market.intervalMinutes} minutes; ` +
          `intervals before now stay at ${previousInterval} minutes`,
      );
    writer = new SampleWriter(db, { rollups, now: () => ctx.now() });
    db.transaction(() => {
      const siteJson = JSON.stringify(site);
      if (readMeta(db, META_SITE) !== siteJson) writeMeta(db, META_SITE, siteJson);
      writeMeta(db, META_INTERVAL, String(site.market.intervalMinutes));
      writeMeta(db, META_RUN_STATE, 'running');
    })();
  } catch (error) {
    // Nothing was written: the checks only read, and a failed recovery or meta update rolls back.
    db.close();
    throw new HistorianOpenError(
      `cannot start the historian on ${file}: ${describeSqliteError(error, ctx.dataDir)}`,
    );
  }
  const recovery = writer.lastRecovery;
  const checkMs = performance.now() - checkStarted;
  if (recoveredFromCrash)
    ctx.log(
      `historian: resumed after an interrupted run: ${recovery?.samplesReplayed ?? 0} samples replayed in ${(recovery?.durationMs ?? 0).toFixed(0)} ms`,
    );

  let integrity: HistoryStatus['integrity'] = 'pending';
  let inlineError: string | null = null;
  let timer: ReturnType<typeof setInterval> | null = null;
  let checkpointer: Checkpointer | null = null;
  let lastCheckpointMs = ctx.now();
  // The worker that writes, once started; null while starting and when writing inline.
  let ingest: IngestClient | null = null;
  let ingestMode: 'worker' | 'inline' | 'starting' = 'starting';
  const cycleMs: number[] = [];
  // CPU time as well as wall time: on a loaded machine the wall time includes waiting to run.
  // Node reports CPU for the whole process, so with the worker this also counts what other
  // threads did during the cycle: an upper bound of the main thread's share.
  const cycleCpuMs: number[] = [];

  const add = (s: Sample) => {
    if (ingest) ingest.add(s.device, s.quantity, s.unit, s.timeMs, s.value, qualityCode[s.quality]);
    else writer.add(s);
  };
  const unsubscribe = ctx.onCycle((cycle) => {
    for (const v of cycle.values)
      add({
        device: cycle.device,
        quantity: v.quantity,
        unit: quantityUnits[v.quantity] ?? '',
        timeMs: cycle.timeMs,
        value: v.value,
        quality: v.implemented ? 'good' : 'not-implemented',
      });
    for (const quantity of cycle.bad)
      add({
        device: cycle.device,
        quantity,
        unit: quantityUnits[quantity] ?? '',
        timeMs: cycle.timeMs,
        value: null,
        quality: 'bad',
      });
  });

  /** Writing on the main thread: while the worker starts, and if it cannot run. */
  const inlineWrite = (now: number) => {
    try {
      writer.flush();
      if (inlineError !== null) ctx.log('historian: writing again');
      inlineError = null;
    } catch (error) {
      const message = describeSqliteError(error, ctx.dataDir);
      if (message !== inlineError) ctx.log(`historian: write failed, samples kept for retry: ${message}`);
      inlineError = message;
    }
    if (inlineError === null) {
      try {
        retention.step(now, RETENTION_BUDGET_MS);
      } catch (error) {
        ctx.log(`historian: retention failed: ${describeSqliteError(error, ctx.dataDir)}`);
      }
    }
  };

  /**
   * One second's work on the main thread: with the worker, posting the buffered samples; inline,
   * the commit and retention within a small budget.
   */
  const tick = () => {
    const started = performance.now();
    const cpu = process.cpuUsage();
    const now = ctx.now();
    if (ingest) ingest.post(now);
    else if (ingestMode === 'inline') inlineWrite(now);
    if (lastError() === null && checkpointer && now - lastCheckpointMs >= CHECKPOINT_PERIOD_MS) {
      lastCheckpointMs = now;
      checkpointer.run(now);
    }
    const wallMs = performance.now() - started;
    const used = process.cpuUsage(cpu);
    cycleMs.push(wallMs);
    cycleCpuMs.push((used.user + used.system) / 1000);
    if (cycleMs.length > CYCLE_WINDOW) cycleMs.shift();
    if (cycleCpuMs.length > CYCLE_WINDOW) cycleCpuMs.shift();
    expireExports(now);
  };

  const lastError = () => (ingest ? ingest.lastError : inlineError);

  /** The worker failed while running: what it had not acknowledged is written inline from now on. */
  const fallBackInline = (error: Error) => {
    const failed = ingest;
    ingest = null;
    ingestMode = 'inline';
    ctx.log(`historian: the ingest worker failed (${error.message}); writing on the main thread`);
    try {
      // The worker wrote past what this writer knows: resume from the file first.
      writer.recover();
    } catch (e) {
      ctx.log(`historian: recovery before writing inline failed: ${describeSqliteError(e, ctx.dataDir)}`);
    }
    for (const s of failed?.takeUnacknowledged() ?? []) writer.add(s);
  };

  const reader: HistoryReader = {
    db,
    site,
    intervalMinutes: site.market.intervalMinutes,
    retention: retention.policy,
    openRows: (id, res) => writer.openRows(id, res),
    now: () => ctx.now(),
  };

  /**
   * Runs a query with the running ingest's open buckets. The worker holds them, so the query runs
   * once to learn which it reads, asks the worker for those, and runs again with them.
   */
  const withOpenRows = async <T>(query: (r: HistoryReader) => T): Promise<T> => {
    const client = ingest;
    if (!client) return query(reader);
    const wants: Array<[number, number]> = [];
    const first = query({ ...reader, openRows: (id, res) => (wants.push([id, res]), []) });
    if (wants.length === 0) return first;
    const rows = await client.openRows(wants);
    if (!rows) return first;
    const byKey = new Map(wants.map(([id, res], i) => [`${id}/${res}`, rows[i] ?? []]));
    return query({ ...reader, openRows: (id, res) => byKey.get(`${id}/${res}`) ?? [] });
  };

  const exports = new Map<string, { job: ExportJob; touchedMs: number }>();
  let nextExport = 1;
  const expireExports = (now: number) => {
    for (const [id, e] of exports) if (now - e.touchedMs > EXPORT_IDLE_MS) exports.delete(id);
  };

  const stats = (values: number[]) => {
    const sorted = [...values].sort((a, b) => a - b);
    const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
    return {
      count: sorted.length,
      last: values.at(-1) ?? 0,
      p50: at(0.5),
      p99: at(0.99),
      max: sorted.at(-1) ?? 0,
    };
  };

  const status = (): HistoryStatus => {
    const rawFrom = (db.prepare('SELECT min(time_ms) AS t FROM sample').get() as { t: number | null }).t;
    const size = (f: string) => {
      try {
        return fs.statSync(f).size;
      } catch {
        return 0;
      }
    };
    const client = ingest;
    const batch = client ? client.lastBatch : writer.lastBatch;
    return {
      file,
      sizeBytes: size(file),
      walBytes: size(`${file}-wal`),
      schemaVersion: SCHEMA_VERSION,
      synchronous: 'NORMAL',
      timeZone: site.site.timezone,
      intervalMinutes: site.market.intervalMinutes,
      retention: retention.policy,
      rawFromMs: rawFrom,
      committed: batch
        ? {
            batchId: batch.id,
            samples: batch.samples,
            firstMs: batch.firstMs,
            lastMs: batch.lastMs,
            committedMs: batch.committedMs,
          }
        : null,
      samplesWritten: client ? client.written : writer.written,
      samplesDropped: client ? client.dropped : writer.dropped,
      samplesLost: client ? client.lost : writer.lost,
      pendingSamples: client ? client.pendingSamples : writer.pendingSamples,
      cycleMs: stats(cycleMs),
      cycleCpuMs: stats(cycleCpuMs),
      ingest: {
        mode: ingestMode === 'worker' ? 'worker' : 'inline',
        commitMs: stats(client?.commitMs ?? []),
      },
      lastError: lastError(),
      checkpoints: { mode: checkpointer?.mode ?? 'inline', last: checkpointer?.last ?? null },
      startup: {
        checkMs,
        recoveredFromCrash,
        replayedSamples: recovery?.samplesReplayed ?? 0,
        recoveryMs: recovery?.durationMs ?? 0,
      },
      integrity,
    };
  };

  const handlers: HandlersOf<HistoryApi> = {
    'history/query': (q) => withOpenRows((r) => queryHistory(r, q)),
    'history/export-start': (spec) => {
      const job = new ExportJob(db, site, site.market.intervalMinutes, spec);
      const jobId = `export-${nextExport++}`;
      exports.set(jobId, { job, touchedMs: ctx.now() });
      return { jobId, fileName: job.fileName, mimeType: job.mimeType };
    },
    'history/export-next': ({ jobId }): ExportChunk => {
      const entry = exports.get(jobId);
      if (!entry)
        throw new ApiRefusal(
          'not-found',
          `no export '${jobId}' (finished, cancelled or idle for 5 minutes): start it again`,
        );
      entry.touchedMs = ctx.now();
      const chunk = entry.job.next();
      if (chunk.done) exports.delete(jobId);
      return chunk;
    },
    'history/export-cancel': ({ jobId }) => ({ cancelled: exports.delete(jobId) }),
    'history/status': () => status(),
  };

  let stopping = false;
  return {
    handlers,
    // With the worker, the open interval is read from raw samples (the same code as the ingest):
    // the settlement asks synchronously, and the worker's buckets are only reachable by message.
    intervalEnergies: (startMs, minutes, mode) =>
      intervalEnergies(db, site, startMs, minutes, mode, {
        openRows: ingest ? undefined : (id, res) => writer.openRows(id, res),
        gapLimitMs: rollups.gapLimitMs,
        maxPowerKW: rollups.maxPowerKW,
      }),
    async start() {
      checkpointer = new Checkpointer(db, file, (m) => ctx.log(m));
      // The worker checkpoints; a commit must never run one (it syncs the disk).
      if (checkpointer.mode === 'worker') db.pragma('wal_autocheckpoint = 0');
      timer = setInterval(tick, FLUSH_PERIOD_MS);
      // The full check reads the whole file: on a worker, so a start stays quick with years of data.
      checkInBackground(file)
        .then((findings) => {
          integrity = findings.length === 1 && findings[0] === 'ok' ? 'ok' : findings.slice(0, 5).join('; ');
          if (integrity !== 'ok') ctx.log(`historian: quick_check found problems: ${integrity}`);
        })
        .catch((error: Error) => {
          integrity = 'unavailable';
          ctx.log(`historian: background check not run: ${error.message}`);
        });
      // Until the worker is up, samples stay buffered in the writer here; it then takes them over.
      try {
        const client = await IngestClient.start(
          {
            file,
            dataDir: ctx.dataDir,
            site,
            retention: retentionPolicy,
            autoCheckpoint: checkpointer.mode !== 'worker',
            retentionBudgetMs: WORKER_RETENTION_BUDGET_MS,
            maxPendingSamples: MAX_PENDING_SAMPLES,
          },
          (m) => ctx.log(m),
          (error) => fallBackInline(error),
        );
        if (stopping) {
          // Stopped while the worker started: everything was written here, the worker has nothing.
          await client.abandon();
          return;
        }
        // Samples read while the worker started go to it first, so they keep their order; the
        // writer here wrote nothing since the worker's recovery, so both resume from the same file.
        for (const s of writer.takePending())
          client.add(s.device, s.quantity, s.unit, s.timeMs, s.value, qualityCode[s.quality]);
        ingest = client;
        ingestMode = 'worker';
      } catch (error) {
        ingestMode = 'inline';
        ctx.log(`historian: writing on the main thread (no ingest worker: ${(error as Error).message})`);
      }
    },
    async stop() {
      stopping = true;
      if (timer) clearInterval(timer);
      timer = null;
      unsubscribe();
      const client = ingest;
      if (client) {
        const error = await client.stop(ctx.now());
        ingest = null;
        if (error !== null) {
          ctx.log(`historian: the ingest worker did not stop cleanly (${error}); finishing inline`);
          fallBackInline(new Error(error));
        }
      }
      if (!client || ingestMode === 'inline') {
        ingestMode = 'inline';
        inlineWrite(ctx.now());
        try {
          writer.persistAll();
          if (inlineError === null) writeMeta(db, META_RUN_STATE, 'stopped');
        } catch (error) {
          ctx.log(`historian: could not record a clean stop: ${describeSqliteError(error, ctx.dataDir)}`);
        }
      }
      await checkpointer?.close();
    },
  };
}
