// The ingest worker: owns the historian's write connection and runs the SampleWriter — commits,
// rollups, recovery replay and retention — so that none of it runs on the main thread, where it
// would hold the UI and the poller. Every batch is acknowledged after its commit, with the
// writer's totals as of that commit: 'acknowledged' means durable, as it did on the main thread.
import Database from 'better-sqlite3';
import { serveWorker, type WorkerSetup } from '../platform/worker-runtime.ts';
import { describeSqliteError, META_RUN_STATE, writeMeta } from './database.ts';
import type { AckMessage, BatchMessage, IngestProtocol, IngestWorkerData } from './ingest-protocol.ts';
import { Retention } from './retention.ts';
import { rollupOptionsFor } from './rollup-options.ts';
import { qualityName, SampleWriter, type Sample } from './sample-writer.ts';

serveWorker<IngestProtocol>(setUp);

function setUp(data: IngestWorkerData, emit: (event: { log: string }) => void): WorkerSetup<IngestProtocol> {
  const log = (message: string) => emit({ log: message });
  let nowMs = Date.now();
  let db: Database.Database;
  let writer: SampleWriter;
  let retention: Retention;
  try {
    db = new Database(data.file, { fileMustExist: true });
    db.pragma('busy_timeout = 2000');
    db.pragma('synchronous = NORMAL');
    db.pragma(`journal_size_limit = ${64 * 1024 * 1024}`);
    if (!data.autoCheckpoint) db.pragma('wal_autocheckpoint = 0');
    writer = new SampleWriter(db, {
      rollups: rollupOptionsFor(data.site),
      now: () => nowMs,
      maxPendingSamples: data.maxPendingSamples,
    });
    retention = new Retention(db, data.retention);
  } catch (error) {
    throw new Error(describeSqliteError(error, data.dataDir));
  }

  const series = new Map<number, { device: string; quantity: string; unit: string }>();
  let lastError: string | null = null;

  const batch = (m: BatchMessage): AckMessage => {
    const started = performance.now();
    nowMs = m.nowMs;
    for (const [key, device, quantity, unit] of m.newKeys) series.set(key, { device, quantity, unit });
    for (let i = 0; i < m.keys.length; i++) {
      const s = series.get(m.keys[i]!);
      if (!s) continue;
      const value = m.values[i]!;
      const sample: Sample = {
        device: s.device,
        quantity: s.quantity,
        unit: s.unit,
        timeMs: m.timesMs[i]!,
        value: Number.isNaN(value) ? null : value,
        quality: qualityName[m.qualities[i]!] ?? 'bad',
      };
      writer.add(sample);
    }
    try {
      writer.flush();
      if (lastError !== null) log('historian: writing again');
      lastError = null;
    } catch (error) {
      const message = describeSqliteError(error, data.dataDir);
      if (message !== lastError) log(`historian: write failed, samples kept for retry: ${message}`);
      lastError = message;
    }
    if (lastError === null) {
      try {
        retention.step(nowMs, data.retentionBudgetMs);
      } catch (error) {
        log(`historian: retention failed: ${describeSqliteError(error, data.dataDir)}`);
      }
    }
    return {
      seq: m.seq,
      written: writer.written,
      dropped: writer.dropped,
      lost: writer.lost,
      pending: writer.pendingSamples,
      batch: writer.lastBatch,
      error: lastError,
      commitMs: performance.now() - started,
    };
  };

  const stop = ({ nowMs: stopMs }: { nowMs: number }): { error: string | null } => {
    nowMs = stopMs;
    let error: string | null = null;
    try {
      writer.flush();
      writer.persistAll();
      if (writer.pendingSamples === 0) writeMeta(db, META_RUN_STATE, 'stopped');
      else error = `${writer.pendingSamples} samples could not be written`;
    } catch (e) {
      error = describeSqliteError(e, data.dataDir);
    }
    try {
      db.close();
    } catch {
      // Closing after a failed write: the process is stopping anyway.
    }
    return { error };
  };

  return {
    ready: { recovery: writer.lastRecovery },
    handlers: {
      batch,
      openRows: ({ wants }) => wants.map(([id, res]) => writer.openRows(id, res)),
      stop,
    },
  };
}
