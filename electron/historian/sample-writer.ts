// Raw samples into the historian: buffered per poll cycle and committed in one transaction a
// second, so the cost of a commit is paid once for all devices, not once per value.
import type { Quality } from '../../shared/api/live.ts';
import type { Db } from './database.ts';

export interface Sample {
  device: string;
  quantity: string;
  unit: string;
  timeMs: number;
  value: number | null;
  quality: Quality;
}

const qualityCode: Record<Quality, number> = { good: 0, stale: 1, bad: 2, 'not-implemented': 3 };

export class SampleWriter {
  private readonly seriesIds = new Map<string, number>();
  private pending: Sample[] = [];
  private readonly insertSeries;
  private readonly findSeries;
  private readonly insertSample;
  private readonly commitBatch;
  written = 0;

  constructor(db: Db) {
    this.insertSeries = db.prepare('INSERT OR IGNORE INTO series (device, quantity, unit) VALUES (?, ?, ?)');
    this.findSeries = db.prepare('SELECT id FROM series WHERE device = ? AND quantity = ?');
    this.insertSample = db.prepare(
      'INSERT OR REPLACE INTO sample (series, time_ms, value, quality) VALUES (?, ?, ?, ?)',
    );
    this.commitBatch = db.transaction((batch: Sample[]) => {
      for (const s of batch)
        this.insertSample.run(this.seriesId(s), s.timeMs, s.value, qualityCode[s.quality]);
    });
  }

  add(sample: Sample): void {
    this.pending.push(sample);
  }

  /** Commits what is buffered; returns how many samples it wrote. */
  flush(): number {
    if (this.pending.length === 0) return 0;
    const batch = this.pending;
    this.pending = [];
    try {
      this.commitBatch(batch);
    } catch (error) {
      // The transaction rolled back, and with it any series rows it created.
      this.seriesIds.clear();
      throw error;
    }
    this.written += batch.length;
    return batch.length;
  }

  private seriesId(s: Sample): number {
    const key = `${s.device}\u0000${s.quantity}`;
    let id = this.seriesIds.get(key);
    if (id === undefined) {
      this.insertSeries.run(s.device, s.quantity, s.unit);
      id = (this.findSeries.get(s.device, s.quantity) as { id: number }).id;
      this.seriesIds.set(key, id);
    }
    return id;
  }
}

export function recentSamples(
  db: Db,
  device: string,
  quantity: string,
  sinceMs: number,
): Array<{ timeMs: number; value: number }> {
  return db
    .prepare(
      `SELECT s.time_ms AS timeMs, s.value AS value FROM sample s JOIN series r ON r.id = s.series
       WHERE r.device = ? AND r.quantity = ? AND s.time_ms >= ? AND s.value IS NOT NULL ORDER BY s.time_ms LIMIT 20000`,
    )
    .all(device, quantity, sinceMs) as Array<{ timeMs: number; value: number }>;
}
