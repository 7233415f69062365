// The ingest worker's protocol (see electron/platform/worker-protocol.ts). Samples travel as
// columns of typed arrays, a series as a small integer named once, so that posting a second of a
// large site costs the main thread a few copies of memory rather than the cloning of thousands of
// objects. Each batch is one request; its reply is the acknowledgement of its commit.
import type { SiteFile } from '../../shared/site/schema.ts';
import type { RetentionPolicy } from './retention.ts';
import type { RollupRow } from './rollup-aggregator.ts';
import type { CommittedBatch, RecoveryReport } from './sample-writer.ts';

export interface IngestWorkerData {
  file: string;
  dataDir: string;
  site: SiteFile;
  retention: RetentionPolicy;
  /** Off when another worker runs the checkpoints: then a commit must never run one itself. */
  autoCheckpoint: boolean;
  retentionBudgetMs: number;
  maxPendingSamples: number;
}

export interface BatchMessage {
  seq: number;
  /** The console's clock, for the commit time and retention (it may be a simulated clock). */
  nowMs: number;
  /** Series keys first used in this batch: [key, device, quantity, unit]. */
  newKeys: Array<[number, string, string, string]>;
  keys: Uint32Array;
  timesMs: Float64Array;
  /** NaN where the sample has no value. */
  values: Float64Array;
  qualities: Uint8Array;
}

export interface AckMessage {
  seq: number;
  /** Totals since the worker started, as of this commit. */
  written: number;
  dropped: number;
  lost: number;
  pending: number;
  batch: CommittedBatch | null;
  error: string | null;
  /** The worker's own time for this batch (commit, rollups, retention), ms. */
  commitMs: number;
}

export interface IngestProtocol {
  data: IngestWorkerData;
  ready: { recovery: RecoveryReport | null };
  requests: {
    batch: { body: BatchMessage; reply: AckMessage };
    openRows: { body: { wants: Array<[seriesId: number, res: number]> }; reply: RollupRow[][] };
    /** Commits the rest, records a clean stop and closes the file; the error, if any. */
    stop: { body: { nowMs: number }; reply: { error: string | null } };
  };
  /** Log lines: a write that failed and is retried, retention that failed. */
  event: { log: string };
}
