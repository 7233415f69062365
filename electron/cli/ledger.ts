// `commonwatt ledger verify --data DIR [--fingerprint HEX] [--json]`: walks the settlement ledger's
// hash chain, rechecks every entry's balances, and checks the head's signature against the public
// key beside the ledger (and, where this machine holds it, against the private key; an auditor
// gives the fingerprint printed on a statement instead). Exit 0 with the number of entries
// checked, or 1 naming the first entry that is not as written or does not add up.
import path from 'node:path';
import { parseArgs } from 'node:util';
import { isoInZone } from '../../shared/time/zone.ts';
import { ledgerSite } from '../market/ledger-entries.ts';
import { Ledger } from '../market/ledger.ts';
import { sameFingerprint } from '../market/ledger-key.ts';
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
        fingerprint: { type: 'string' },
        json: { type: 'boolean', default: false },
      },
      strict: true,
    }));
  } catch (error) {
    throw new CliUsageError((error as Error).message);
  }
  const [action, ...extra] = positionals;
  if (action !== 'verify' || extra.length > 0) throw new CliUsageError("the only action is 'verify'");
  if (!values.data) throw new CliUsageError('--data DIR is required (the directory holding ledger.db)');
  const expected = values.fingerprint;
  if (expected !== undefined && !/^[0-9a-fA-F\s:]{64,}$/.test(expected))
    throw new CliUsageError('--fingerprint is the key fingerprint printed on a statement (64 hex digits)');

  const ledger = Ledger.open(path.resolve(values.data), { mustExist: true, readOnly: true });
  try {
    let result = ledger.verify();
    // The auditor's own record of the key decides, not the public key file beside the ledger.
    if (
      result.ok &&
      expected !== undefined &&
      !(result.key && sameFingerprint(result.key.fingerprint, expected))
    )
      result = {
        ok: false,
        entries: result.entries,
        seq: result.headSeq,
        intervalStartMs: ledger.bySeq(result.headSeq)?.intervalStartMs ?? null,
        kind: ledger.bySeq(result.headSeq)?.kind ?? 'unknown',
        problem: `is the head, signed by key ${result.key?.fingerprint ?? '(none)'}, not by the key with the fingerprint given (${expected.trim()})`,
        key: result.key,
      };
    const timeZone = (() => {
      try {
        return ledgerSite(ledger)?.timezone ?? 'UTC';
      } catch {
        return 'UTC';
      }
    })();
    if (values.json) console.log(JSON.stringify(result));
    else if (result.ok) {
      console.log(
        `ledger ok: ${result.entries} entries checked, head ${result.headHash.slice(0, 16)}` +
          (result.headLag > 0
            ? ` (${result.headLag} entries after the recorded head, as after a crash)`
            : ''),
      );
      if (result.key) {
        console.log(`head signed by key ${result.key.fingerprint}`);
        console.log(
          result.key.keyStore === 'matches'
            ? `the private key in ${result.key.keyStoreLocation} is that key's pair`
            : expected !== undefined
              ? 'the key is the one whose fingerprint was given'
              : `no private key for ledger ${result.key.ledgerId} here: compare the fingerprint with the one on a statement, or give it with --fingerprint`,
        );
      }
      for (const warning of result.warnings) console.log(`note: ${warning}`);
    } else {
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
