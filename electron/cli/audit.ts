// `commonwatt audit --data DIR [--from ISO] [--to ISO] [--user U] [--action A] [--json|--csv] [--verify]`:
// the console's audit trail, oldest first, read-only (works beside a running console). --verify
// walks the whole hash chain and exits 1 naming the first record that is not as written.
import path from 'node:path';
import { parseArgs } from 'node:util';
import { auditResults, type AuditRecord, type AuditResult } from '../../shared/api/audit-api.ts';
import { defaultDataDir } from '../app/data-dir.ts';
import { AuditStore } from '../audit/audit-store.ts';
import { verifyAuditChain } from '../platform/audit-trail.ts';
import { CliUsageError } from './cli-error.ts';

const COLUMNS = [
  'id',
  'atMs',
  'user',
  'role',
  'transport',
  'peer',
  'action',
  'what',
  'result',
  'reason',
  'hash',
] as const;

export async function run(args: string[]): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args,
      options: {
        data: { type: 'string' },
        from: { type: 'string' },
        to: { type: 'string' },
        user: { type: 'string' },
        action: { type: 'string' },
        result: { type: 'string' },
        json: { type: 'boolean' },
        csv: { type: 'boolean' },
        verify: { type: 'boolean' },
      },
      strict: true,
    }));
  } catch (error) {
    throw new CliUsageError((error as Error).message);
  }
  if (values.json && values.csv) throw new CliUsageError('--json or --csv, not both');
  const time = (flag: 'from' | 'to') => {
    const text = values[flag];
    if (text === undefined) return undefined;
    const ms = Date.parse(text);
    if (Number.isNaN(ms))
      throw new CliUsageError(`--${flag} is an ISO 8601 time such as 2026-12-01T00:00:00Z, not '${text}'`);
    return ms;
  };
  if (values.result !== undefined && !(auditResults as readonly string[]).includes(values.result))
    throw new CliUsageError(`--result is one of ${auditResults.join(', ')}`);
  const dataDir = path.resolve(values.data ?? defaultDataDir());
  let store: AuditStore;
  try {
    store = new AuditStore(dataDir, { readOnly: true });
  } catch (error) {
    throw new Error(`no audit trail in ${dataDir} (${(error as Error).message})`);
  }
  try {
    if (values.verify) {
      const result = verifyAuditChain(store.all());
      if (!result.ok) {
        console.error(`audit record ${result.id} ${result.reason}`);
        return 1;
      }
      console.log(`audit trail intact: ${result.records} records`);
      return 0;
    }
    const fromMs = time('from');
    const toMs = time('to');
    const records = store
      .list({
        ...(values.user !== undefined ? { user: values.user } : {}),
        ...(values.action !== undefined ? { action: values.action } : {}),
        ...(values.result !== undefined ? { result: values.result as AuditResult } : {}),
        ...(fromMs !== undefined ? { fromMs } : {}),
        ...(toMs !== undefined ? { toMs } : {}),
        limit: 10_000,
      })
      .reverse();
    if (values.json) console.log(JSON.stringify(records, null, 2));
    else if (values.csv) {
      console.log(COLUMNS.join(','));
      for (const r of records)
        console.log(
          COLUMNS.map((c) => csvField(c === 'atMs' ? new Date(r.atMs).toISOString() : r[c])).join(','),
        );
    } else for (const r of records) console.log(line(r));
    return 0;
  } finally {
    store.close();
  }
}

function csvField(value: string | number | null): string {
  const text = value === null ? '' : String(value);
  // A leading = + - @ would be run as a formula by a spreadsheet (CSV injection).
  const safe = /^[=+\-@]/.test(text) ? `'${text}` : text;
  return /[",\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

function line(r: AuditRecord): string {
  const who = r.user ? `${r.user} (${r.role})` : 'nobody';
  return `${r.id}\t${new Date(r.atMs).toISOString()}\t${r.result.padEnd(7)}\t${who} via ${r.transport} ${r.peer}\t${r.action}: ${r.what}${r.reason ? ` — ${r.reason}` : ''}`;
}
