// Retention: raw samples for a number of days (default 14), 1-minute rollups for a number of
// days (default 90), settlement intervals, hours and days for good. Expired rows are deleted a
// small slice at a time within a time budget per cycle, so a large backlog (a lowered retention,
// a console that was off for weeks) is worked off in the background without holding the main
// thread. Raw samples a series still needs to resume its rollups are kept past their time.
import { MINUTE, MS_PER_DAY_NOMINAL } from './buckets.ts';
import type { Db } from './database.ts';

export interface RetentionPolicy {
  rawDays: number;
  minuteDays: number;
}

export const DEFAULT_RETENTION: RetentionPolicy = { rawDays: 14, minuteDays: 90 };

/** Reads COMMONWATT_RAW_DAYS and COMMONWATT_MINUTE_DAYS over the defaults. */
export function retentionFromEnv(env: NodeJS.ProcessEnv = process.env): RetentionPolicy {
  const days = (name: string, fallback: number) => {
    const text = env[name];
    if (text === undefined || text === '') return fallback;
    const n = Number(text);
    if (!Number.isFinite(n) || n < 1)
      throw new Error(`${name} must be a number of days (1 or more), not '${text}'`);
    return n;
  };
  return {
    rawDays: days('COMMONWATT_RAW_DAYS', DEFAULT_RETENTION.rawDays),
    minuteDays: days('COMMONWATT_MINUTE_DAYS', DEFAULT_RETENTION.minuteDays),
  };
}

export class Retention {
  private rawCursor: number | null = null;
  private rawSliceMs = 10_000;
  private minuteQueue: number[] = [];
  private nextMinutePassMs = 0;
  deleted = { raw: 0, minute: 0, batches: 0 };

  constructor(
    private readonly db: Db,
    readonly policy: RetentionPolicy,
  ) {}

  /** Deletes expired rows for about `budgetMs`; returns the ms spent. */
  step(nowMs: number, budgetMs: number): number {
    const started = performance.now();
    const over = () => performance.now() - started >= budgetMs;
    this.stepRaw(nowMs - this.policy.rawDays * MS_PER_DAY_NOMINAL, over);
    if (!over()) this.stepMinutes(nowMs, over);
    return performance.now() - started;
  }

  private stepRaw(cutoff: number, over: () => boolean): void {
    const db = this.db;
    if (this.rawCursor === null) {
      this.rawCursor = (db.prepare('SELECT min(time_ms) AS t FROM sample').get() as { t: number | null }).t;
      if (this.rawCursor === null) return;
    }
    if (this.rawCursor >= cutoff) return;
    // A series that fell silent long ago still resumes from its carried sample: keep what follows it.
    const pins = db
      .prepare(
        'SELECT id, coalesce(carry_ms + 1, first_ms) AS keep FROM series WHERE coalesce(carry_ms + 1, first_ms, 0) < ?',
      )
      .all(cutoff) as Array<{ id: number; keep: number | null }>;
    const pinned = pins.map((p) => p.id).join(',');
    const remove = db.prepare(
      `DELETE FROM sample WHERE time_ms >= ? AND time_ms < ?${pinned ? ` AND series NOT IN (${pinned})` : ''}`,
    );
    const removePinned = db.prepare('DELETE FROM sample WHERE time_ms >= ? AND time_ms < ? AND series = ?');
    const removeBatches = db.prepare(
      'DELETE FROM batch WHERE id IN (SELECT id FROM batch WHERE last_ms < ? ORDER BY id LIMIT 2000)',
    );
    while (this.rawCursor < cutoff && !over()) {
      const from: number = this.rawCursor;
      const to = Math.min(cutoff, from + this.rawSliceMs);
      const sliceStarted = performance.now();
      const n = db.transaction(() => {
        let deleted = remove.run(from, to).changes;
        for (const p of pins)
          if (p.keep !== null && p.keep > from)
            deleted += removePinned.run(from, Math.min(to, p.keep), p.id).changes;
        return deleted;
      })();
      this.deleted.raw += n;
      const took = performance.now() - sliceStarted;
      if (n === 0) {
        // Skip an empty stretch in one step.
        const next = db.prepare('SELECT min(time_ms) AS t FROM sample WHERE time_ms >= ?').get(to) as {
          t: number | null;
        };
        this.rawCursor = next.t === null ? cutoff : Math.max(to, Math.min(next.t, cutoff));
        if (next.t !== null && next.t < to) this.rawCursor = to;
      } else this.rawCursor = to;
      if (took < 0.5) this.rawSliceMs = Math.min(this.rawSliceMs * 2, 3_600_000);
      else if (took > 2) this.rawSliceMs = Math.max(1000, Math.floor(this.rawSliceMs / 2));
    }
    if (!over()) this.deleted.batches += removeBatches.run(cutoff).changes;
  }

  private stepMinutes(nowMs: number, over: () => boolean): void {
    if (this.minuteQueue.length === 0) {
      if (nowMs < this.nextMinutePassMs) return;
      this.nextMinutePassMs = nowMs + 10 * 60_000;
      this.minuteQueue = (this.db.prepare('SELECT id FROM series').all() as Array<{ id: number }>).map(
        (r) => r.id,
      );
    }
    const cutoff = nowMs - this.policy.minuteDays * MS_PER_DAY_NOMINAL;
    const remove = this.db.prepare(
      'DELETE FROM rollup WHERE res = ? AND series = ? AND start_ms < ? AND start_ms >= ?',
    );
    const oldest = this.db.prepare('SELECT min(start_ms) AS t FROM rollup WHERE res = ? AND series = ?');
    while (this.minuteQueue.length > 0 && !over()) {
      const id = this.minuteQueue[0]!;
      const first = (oldest.get(MINUTE, id) as { t: number | null }).t;
      if (first === null || first >= cutoff) {
        this.minuteQueue.shift();
        continue;
      }
      // A day of one series' minutes at a time: 1440 rows.
      this.deleted.minute += remove.run(
        MINUTE,
        id,
        Math.min(cutoff, first + MS_PER_DAY_NOMINAL),
        first,
      ).changes;
    }
  }
}
