// `commonwatt ledger verify --data DIR`: walks the settlement ledger's hash chain and its head.
// Exit 0 with the number of entries checked, or 1 naming the first entry that is not as written.
import path from 'node:path';
import { parseArgs } from 'node:util';
import { isoInZone } from '../../shared/time/zone.ts';
import { ledgerSite } from '../market/ledger-entries.ts';
import { Ledger } from '../market/ledger.ts';
import { CliUsageError } from './cli-error.ts';

export async function run(args: string[]): Promise<number> {
  let values;
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({
      args,
      allowPositionals: true,
      options: { data: { type: 'string' }, json: { type: 'boolean', default: false } },
      strict: true,
    }));
  } catch (error) {
    throw new CliUsageError((error as Error).message);
  }
  const [action, ...extra] = positionals;
  if (action !== 'verify' || extra.length > 0) throw new CliUsageError("the only action is 'verify'");
  if (!values.data) throw new CliUsageError('--data DIR is required (the directory holding ledger.db)');

  const ledger = Ledger.open(path.resolve(values.data), { mustExist: true, readOnly: true });
  try {
    const result = ledger.verify();
    const timeZone = (() => {
      try {
        return ledgerSite(ledger)?.timezone ?? 'UTC';
      } catch {
        return 'UTC';
      }
    })();
    if (values.json) console.log(JSON.stringify(result));
    else if (result.ok)
      console.log(
        `ledger ok: ${result.entries} entries checked, head ${result.headHash.slice(0, 16)}` +
          (result.headLag > 0
            ? ` (${result.headLag} entries after the recorded head, as after a crash)`
            : ''),
      );
    else {
      const what =
        result.kind === 'unknown'
          ? ''
          : ` (${result.kind}${result.intervalStartMs === null ? '' : ` ${isoInZone(result.intervalStartMs, timeZone)}`})`;
      console.log(`ledger broken: entry ${result.seq}${what} ${result.problem}`);
      console.log(`${result.entries} entries before it are intact`);
    }
    return result.ok ? 0 : 1;
  } finally {
    ledger.close();
  }
}
