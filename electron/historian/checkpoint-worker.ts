// The checkpoint worker: a connection of its own to the historian file for WAL checkpoints and
// the background integrity check, so that neither a disk sync nor a read of the whole file holds
// the main thread (checkpointer.ts is its main-thread side).
import Database from 'better-sqlite3';
import { serveWorker } from '../platform/worker-runtime.ts';

export interface CheckpointResult {
  busy: number;
  /** Frames in the WAL, and how many of them are now in the database file. */
  walFrames: number;
  checkpointedFrames: number;
  /** The worker's time for it. */
  ms: number;
}

/** The checkpoint worker's protocol (see electron/platform/worker-protocol.ts). */
export interface CheckpointProtocol {
  /** A read-only connection serves the integrity check, a writable one the checkpoints. */
  data: { file: string; readonly: boolean };
  ready: null;
  requests: {
    /** A PASSIVE checkpoint. */
    checkpoint: { body: null; reply: CheckpointResult };
    /** PRAGMA quick_check (or integrity_check when full): SQLite's findings, "ok" alone if none. */
    check: { body: { full: boolean }; reply: string[] };
    close: { body: null; reply: null };
  };
  event: never;
}

serveWorker<CheckpointProtocol>(({ file, readonly }) => {
  let db: Database.Database | null = null;
  // Opened at the first request, so a file that cannot be opened fails that request, not the start.
  const open = () => {
    if (!db) {
      db = new Database(file, { fileMustExist: true, readonly });
      db.pragma('busy_timeout = 0');
    }
    return db;
  };
  return {
    ready: null,
    handlers: {
      checkpoint: () => {
        const started = performance.now();
        const row = (
          open().pragma('wal_checkpoint(PASSIVE)') as Array<{
            busy: number;
            log: number;
            checkpointed: number;
          }>
        )[0]!;
        return {
          busy: row.busy,
          walFrames: row.log,
          checkpointedFrames: row.checkpointed,
          ms: performance.now() - started,
        };
      },
      check: ({ full }) =>
        (open().pragma(full ? 'integrity_check' : 'quick_check') as Array<Record<string, string>>).map(
          (r) => Object.values(r)[0]!,
        ),
      close: () => {
        db?.close();
        db = null;
        return null;
      },
    },
  };
});
