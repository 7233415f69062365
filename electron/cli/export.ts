// `commonwatt export`: historian data as CSV or JSON, to stdout or a file. Reads the file
// read-only (a running console keeps writing meanwhile) and takes the site — timezone, members —
// from the historian itself, so no site file is needed. Dates without an offset are the site's
// local time; a bare date is its local midnight.
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import type { ExportRequest } from '../../shared/api/history-api.ts';
import type { SiteFile } from '../../shared/site/schema.ts';
import { loadSiteFile } from '../site/site-file.ts';
import { bucketingFor, DAY } from '../historian/buckets.ts';
import { openHistorianReadOnly, readStoredSite } from '../historian/database.ts';
import { ExportError, ExportJob } from '../historian/exporter.ts';
import { CliUsageError } from './cli-error.ts';

export async function run(args: string[]): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args,
      options: {
        data: { type: 'string' },
        from: { type: 'string' },
        to: { type: 'string' },
        member: { type: 'string' },
        device: { type: 'string' },
        resolution: { type: 'string', default: '15m' },
        format: { type: 'string', default: 'csv' },
        out: { type: 'string' },
        site: { type: 'string' },
      },
      strict: true,
    }));
  } catch (error) {
    throw new CliUsageError((error as Error).message);
  }
  if (!values.data) throw new CliUsageError('--data DIR is required (the directory holding historian.db)');
  if (!values.from || !values.to)
    throw new CliUsageError('--from and --to are required (ISO 8601, e.g. 2026-06-01)');
  if (values.member && values.device) throw new CliUsageError('give --member or --device, not both');
  const format = values.format;
  if (format !== 'csv' && format !== 'json')
    throw new CliUsageError(`--format must be csv or json, not '${format}'`);
  const resolution = values.resolution;
  if (!/^(raw|\d+m|1h|1d)$/.test(resolution))
    throw new CliUsageError(`--resolution must be raw, 1m, 15m, 1h or 1d, not '${resolution}'`);

  const dataDir = path.resolve(values.data);
  const db = openHistorianReadOnly(dataDir);
  try {
    const site: SiteFile | null = values.site ? loadSiteFile(values.site) : readStoredSite(db);
    if (!site)
      throw new Error(
        `${dataDir} does not say which site it belongs to: give the site file with --site FILE`,
      );
    const from = parseTime(values.from, site.site.timezone, '--from');
    const to = parseTime(values.to, site.site.timezone, '--to');
    if (to <= from) throw new CliUsageError('--to must be after --from');
    const spec: ExportRequest = {
      from,
      to,
      resolution,
      format,
      ...(values.member ? { member: values.member } : {}),
      ...(values.device ? { device: values.device } : {}),
    };
    let job: ExportJob;
    try {
      job = new ExportJob(db, site, site.market.intervalMinutes, spec);
    } catch (error) {
      if (error instanceof ExportError) throw new CliUsageError(error.message);
      throw error;
    }
    const outFile = values.out ? path.resolve(values.out) : null;
    const out: NodeJS.WritableStream = outFile ? fs.createWriteStream(outFile) : process.stdout;
    const showProgress = process.stderr.isTTY === true;
    const started = Date.now();
    let lastShownMs = started;
    for (;;) {
      const chunk = job.next();
      if (chunk.text && !out.write(chunk.text))
        await new Promise<void>((resolve) => out.once('drain', () => resolve()));
      if (showProgress && Date.now() - lastShownMs > 500) {
        lastShownMs = Date.now();
        process.stderr.write(`\rexporting: ${(chunk.progress * 100).toFixed(0)} % · ${job.rows} rows`);
      }
      if (chunk.done) break;
    }
    if (showProgress && lastShownMs !== started) process.stderr.write('\n');
    if (outFile) {
      await new Promise<void>((resolve, reject) => {
        out.once('error', reject);
        out.end(() => resolve());
      });
      console.error(`${job.rows} rows written to ${outFile}`);
    }
    return 0;
  } finally {
    db.close();
  }
}

/**
 * ISO 8601 to epoch ms. With an offset or Z it is that instant; without one it is the site's
 * local time, and a bare date is the site's local midnight.
 */
export function parseTime(text: string, timeZone: string, option: string): number {
  const bucketing = bucketingFor(timeZone);
  const m =
    /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,3}))?)?)?(Z|[+-]\d{2}:?\d{2})?$/.exec(
      text,
    );
  if (!m)
    throw new CliUsageError(
      `${option} '${text}' is not an ISO 8601 date or time (e.g. 2026-06-01 or 2026-06-01T14:00+01:00)`,
    );
  if (m[8]) {
    const t = Date.parse(text.replace(' ', 'T'));
    if (Number.isNaN(t)) throw new CliUsageError(`${option} '${text}' is not a valid time`);
    return t;
  }
  const n = (v: string | undefined) => Number(v ?? 0);
  const millis = Number((m[7] ?? '0').padEnd(3, '0'));
  const asUtc = Date.UTC(n(m[1]), n(m[2]) - 1, n(m[3]), n(m[4]), n(m[5]), n(m[6]), millis);
  if (!m[4]) return bucketing.start(asUtc - bucketing.offsetMs(asUtc) + 12 * 3_600_000, DAY);
  // The offset in force at that local time: tried at the instant it would be with the offset of a
  // moment before, which is right except inside the hour a clock change skips.
  const guess = asUtc - bucketing.offsetMs(asUtc);
  return asUtc - bucketing.offsetMs(guess);
}
