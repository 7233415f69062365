// `commonwatt db check --data DIR`: is the historian sound, and do its rollups agree with its raw
// samples? Opens the file read-only and changes nothing; exit 0 when every check passes, 1 with
// the problems in plain words otherwise.
import path from 'node:path';
import { parseArgs } from 'node:util';
import { MS_PER_DAY_NOMINAL } from '../historian/buckets.ts';
import { HISTORIAN_FILE, inspectFile, openHistorianReadOnly, readStoredSite } from '../historian/database.ts';
import {
  cascadeFindings,
  integrityFindings,
  orphanFindings,
  rawAgreementFindings,
  schemaFindings,
  type CheckFinding,
} from '../historian/db-check.ts';
import { rollupOptionsFor } from '../historian/historian-part.ts';
import { CliUsageError } from './cli-error.ts';

export async function run(args: string[]): Promise<number> {
  let values;
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({
      args,
      allowPositionals: true,
      options: {
        data: { type: 'string' },
        days: { type: 'string', default: '1' },
        json: { type: 'boolean', default: false },
      },
      strict: true,
    }));
  } catch (error) {
    throw new CliUsageError((error as Error).message);
  }
  const [action, ...extra] = positionals;
  if (action !== 'check' || extra.length > 0) throw new CliUsageError("the only action is 'check'");
  if (!values.data) throw new CliUsageError('--data DIR is required (the directory holding historian.db)');
  const days = Number(values.days);
  if (!Number.isFinite(days) || days <= 0)
    throw new CliUsageError(`--days must be a positive number, not '${values.days}'`);

  const dataDir = path.resolve(values.data);
  const file = path.join(dataDir, HISTORIAN_FILE);
  const findings: CheckFinding[] = [];
  const verdict = inspectFile(file);
  findings.push({
    check: 'file',
    ok: verdict.kind === 'ours',
    detail: verdict.kind === 'ours' ? `${file}, schema version ${verdict.version}` : verdict.kind,
  });
  // openHistorianReadOnly refuses what is not a current Commonwatt historian, saying why.
  const db = openHistorianReadOnly(dataDir);
  try {
    try {
      findings.push(integrityFindings(db, true));
    } catch (error) {
      // Damage SQLite cannot even walk (the schema's own pages) is reported as an error, not rows.
      findings.push({
        check: 'integrity_check',
        ok: false,
        detail: `SQLite cannot read the file: ${(error as Error).message}`,
      });
    }
    const sound = findings.every((f) => f.ok);
    // The table checks read every row; on a damaged file they would only add confusing errors.
    if (sound) {
      findings.push(schemaFindings(db), orphanFindings(db));
      const site = readStoredSite(db);
      if (!site)
        findings.push({
          check: 'rollups',
          ok: true,
          detail: 'not checked: the file does not record its site (never run by the console)',
        });
      else {
        const options = rollupOptionsFor(site);
        findings.push(...cascadeFindings(db, options));
        const lastRaw = (db.prepare('SELECT max(time_ms) AS t FROM sample').get() as { t: number | null }).t;
        const firstRaw = (db.prepare('SELECT min(time_ms) AS t FROM sample').get() as { t: number | null }).t;
        if (lastRaw !== null && firstRaw !== null) {
          const from = Math.max(firstRaw, lastRaw - days * MS_PER_DAY_NOMINAL);
          const { mismatches: _unused, ...finding } = rawAgreementFindings(db, options, from, lastRaw + 1);
          findings.push(finding);
        }
      }
    }
  } finally {
    db.close();
  }
  const ok = findings.every((f) => f.ok);
  if (values.json) console.log(JSON.stringify({ ok, findings }, null, 1));
  else {
    for (const f of findings) console.log(`${f.ok ? 'ok     ' : 'PROBLEM'}  ${f.check}: ${f.detail}`);
    console.log(
      ok
        ? 'historian ok'
        : `historian has problems: stop the console, keep a copy of ${file}, and restore it from a backup or move it away to start a new one`,
    );
  }
  return ok ? 0 : 1;
}
