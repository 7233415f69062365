// Exports of raw samples or rollups as CSV or JSON, produced in chunks so that a year of data
// never holds the event loop or the memory for long: each chunk reads a slice of time, sized
// as it goes to take about 15 milliseconds. Times are ISO 8601 with the site's offset;
// numbers are written as stored (shortest exact form), never rounded.
import type { ExportChunk, ExportRequest } from '../../shared/api/history-api.ts';
import type { SiteFile } from '../../shared/site/schema.ts';
import { MS_PER_MINUTE } from '../../shared/units.ts';
import {
  bucketingFor,
  DAY,
  HOUR,
  MINUTE,
  nominalMs,
  parseResolutionLabel,
  resolutionLabel,
  type Bucketing,
} from './buckets.ts';
import type { Db } from './database.ts';
import { qualityName } from './sample-writer.ts';
import { FLAG_RESET, FLAG_WRAP } from './series-kind.ts';

export class ExportError extends Error {
  override name = 'ExportError';
}

interface SeriesRow {
  id: number;
  device: string;
  quantity: string;
  unit: string;
  kind: string;
}

const RAW_COLUMNS = ['time', 'device', 'member', 'quantity', 'unit', 'value', 'quality'];
const ROLLUP_COLUMNS = [
  'start',
  'end',
  'device',
  'member',
  'quantity',
  'unit',
  'kind',
  'samples',
  'mean',
  'min',
  'max',
  'increase',
  'first_reading',
  'last_reading',
  'positive_kwh',
  'negative_kwh',
  'gap_s',
  'complete',
  'flags',
];

/** Target main-thread time per chunk; slices grow or shrink towards it. */
const CHUNK_TARGET_MS = 15;

export class ExportJob {
  readonly fileName: string;
  readonly mimeType: string;
  private readonly res: number | null;
  private readonly series: SeriesRow[];
  private readonly byId: Map<number, SeriesRow>;
  private readonly memberOf: Map<string, string>;
  private readonly bucketing: Bucketing;
  private cursor: number;
  private sliceMs: number;
  private started = false;
  private rowsOut = 0;
  done = false;

  constructor(
    private readonly db: Db,
    private readonly site: SiteFile,
    intervalMinutes: number,
    private readonly spec: ExportRequest,
  ) {
    if (spec.to <= spec.from) throw new ExportError('--to must be after --from');
    this.bucketing = bucketingFor(site.site.timezone);
    if (spec.resolution === 'raw') this.res = null;
    else {
      const res = parseResolutionLabel(spec.resolution);
      const kept = [MINUTE, intervalMinutes, HOUR, DAY];
      if (res === null || !kept.includes(res))
        throw new ExportError(
          `resolution '${spec.resolution}' is not kept: choose raw, 1m, ${resolutionLabel(intervalMinutes)}, 1h or 1d`,
        );
      this.res = res;
    }
    this.memberOf = new Map(site.members.map((m) => [m.meter, m.id]));
    const all = db
      .prepare('SELECT id, device, quantity, unit, kind FROM series ORDER BY device, quantity')
      .all() as SeriesRow[];
    let devices: string[] | null = null;
    if (spec.member) {
      const member = site.members.find((m) => m.id === spec.member);
      if (!member) throw new ExportError(`no member '${spec.member}' in site ${site.site.id}`);
      devices = [member.meter];
    } else if (spec.device) {
      if (!site.devices.some((d) => d.id === spec.device) && !all.some((s) => s.device === spec.device))
        throw new ExportError(`no device '${spec.device}' in site ${site.site.id}`);
      devices = [spec.device];
    }
    this.series = devices ? all.filter((s) => devices.includes(s.device)) : all;
    this.byId = new Map(this.series.map((s) => [s.id, s]));
    // Bucket starts before `from` whose bucket reaches into the range are included.
    this.cursor = this.res === null ? spec.from : this.bucketing.start(spec.from, this.res);
    this.sliceMs =
      this.res === null
        ? MS_PER_MINUTE
        : nominalMs(this.res) * Math.max(1, Math.floor(2000 / Math.max(1, this.series.length)));
    const target = spec.member ?? spec.device ?? site.site.id;
    const day = (t: number) => this.bucketing.localDate(t);
    this.fileName = `commonwatt-${target}-${spec.resolution}-${day(spec.from)}-${day(spec.to - 1)}.${spec.format}`;
    this.mimeType = spec.format === 'csv' ? 'text/csv' : 'application/json';
  }

  get rows(): number {
    return this.rowsOut;
  }

  /** The next part of the file. */
  next(): ExportChunk {
    if (this.done) return { text: '', rows: 0, progress: 1, done: true };
    let text = this.started ? '' : this.header();
    this.started = true;
    const begun = performance.now();
    let rows = 0;
    if (this.series.length === 0) this.cursor = this.spec.to;
    while (this.cursor < this.spec.to && performance.now() - begun < CHUNK_TARGET_MS) {
      const end = Math.min(this.spec.to, this.cursor + this.sliceMs);
      const sliceStarted = performance.now();
      const lines = this.res === null ? this.rawLines(this.cursor, end) : this.rollupLines(this.cursor, end);
      const took = performance.now() - sliceStarted;
      for (const line of lines) {
        text += this.rowsOut + rows === 0 ? line : this.separator() + line;
        rows++;
      }
      this.cursor = end;
      if (took < CHUNK_TARGET_MS / 4) this.sliceMs = Math.min(this.sliceMs * 2, 31 * 24 * 3_600_000);
      else if (took > CHUNK_TARGET_MS) this.sliceMs = Math.max(1000, Math.floor(this.sliceMs / 2));
    }
    this.rowsOut += rows;
    const progress = Math.min(1, (this.cursor - this.spec.from) / (this.spec.to - this.spec.from));
    if (this.cursor >= this.spec.to) {
      this.done = true;
      text += this.footer();
    }
    return { text, rows, progress: this.done ? 1 : Math.max(0, progress), done: this.done };
  }

  private separator(): string {
    return this.spec.format === 'csv' ? '' : ',\n';
  }

  private header(): string {
    const columns = this.res === null ? RAW_COLUMNS : ROLLUP_COLUMNS;
    if (this.spec.format === 'csv') return `${columns.join(',')}\n`;
    const head = {
      format: 'commonwatt.history/1',
      site: this.site.site.id,
      timezone: this.site.site.timezone,
      from: this.iso(this.spec.from, false),
      to: this.iso(this.spec.to, false),
      resolution: this.spec.resolution,
      member: this.spec.member ?? null,
      device: this.spec.device ?? null,
    };
    const json = JSON.stringify(head, null, 1);
    return `${json.slice(0, -2)},\n "rows": [\n`;
  }

  private footer(): string {
    return this.spec.format === 'csv' ? '' : '\n ]\n}\n';
  }

  private ids(): string {
    return this.series.map((s) => s.id).join(',');
  }

  private rawLines(from: number, to: number): string[] {
    const rows = this.db
      .prepare(
        `SELECT time_ms, series, value, quality FROM sample
         WHERE time_ms >= ? AND time_ms < ? AND series IN (${this.ids()}) ORDER BY time_ms, series`,
      )
      .raw()
      .all(from, to) as Array<[number, number, number | null, number]>;
    return rows.map(([t, id, value, quality]) => {
      const s = this.byId.get(id)!;
      const fields = [
        this.iso(t, true),
        s.device,
        this.memberOf.get(s.device) ?? '',
        s.quantity,
        s.unit,
        value,
        qualityName[quality] ?? String(quality),
      ];
      return this.format(RAW_COLUMNS, fields);
    });
  }

  private rollupLines(from: number, to: number): string[] {
    const res = this.res as number;
    const rows = this.db
      .prepare(
        `SELECT start_ms, series, n, sum, min, max, delta, pos, neg, gap_ms, flags FROM rollup
         WHERE res = ? AND series IN (${this.ids()}) AND start_ms >= ? AND start_ms < ? ORDER BY start_ms, series`,
      )
      .raw()
      .all(res, from, to) as Array<
      [
        number,
        number,
        number,
        number | null,
        number | null,
        number | null,
        number | null,
        number | null,
        number | null,
        number | null,
        number,
      ]
    >;
    return rows.map(([start, id, n, sum, min, max, delta, pos, neg, gapMs, flags]) => {
      const s = this.byId.get(id)!;
      const counter = s.kind === 'counter';
      const end = this.bucketing.end(start, res);
      const complete = (flags & FLAG_RESET) === 0 && (s.kind === 'gauge' ? n > 0 : gapMs === 0);
      const fields = [
        this.iso(start, false),
        this.iso(end, false),
        s.device,
        this.memberOf.get(s.device) ?? '',
        s.quantity,
        s.unit,
        s.kind,
        n,
        !counter && n > 0 && sum !== null ? sum / n : null,
        counter ? null : min,
        counter ? null : max,
        counter ? delta : null,
        counter ? min : null,
        counter ? max : null,
        pos,
        neg,
        gapMs === null ? null : gapMs / 1000,
        complete,
        [flags & FLAG_WRAP ? 'wrap' : '', flags & FLAG_RESET ? 'reset' : ''].filter(Boolean).join('|'),
      ];
      return this.format(ROLLUP_COLUMNS, fields);
    });
  }

  private format(columns: string[], fields: Array<string | number | boolean | null>): string {
    if (this.spec.format === 'csv') return `${fields.map(csvField).join(',')}\n`;
    const record: Record<string, string | number | boolean | null> = {};
    columns.forEach((c, i) => (record[c] = fields[i] ?? null));
    return `  ${JSON.stringify(record)}`;
  }

  /** ISO 8601 with the site's offset at that moment; with milliseconds for raw samples. */
  private iso(t: number, millis: boolean): string {
    const offset = this.bucketing.offsetMs(t);
    const local = new Date(t + offset).toISOString().slice(0, millis ? 23 : 19);
    const minutes = Math.abs(offset) / MS_PER_MINUTE;
    const sign = offset < 0 ? '-' : '+';
    return `${local}${sign}${String(Math.floor(minutes / 60)).padStart(2, '0')}:${String(minutes % 60).padStart(2, '0')}`;
  }
}

function csvField(v: string | number | boolean | null): string {
  if (v === null) return '';
  if (typeof v === 'number') return Number.isFinite(v) ? String(v) : '';
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  return /[",\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v;
}
