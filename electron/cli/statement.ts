// `commonwatt statement --data DIR --member ID --month YYYY-MM [--format html|pdf|json] [--out FILE]`:
// a member's monthly statement, made from the ledger alone. HTML and JSON go to standard output
// unless --out is given; a PDF is written to --out, or to ID-YYYY-MM.pdf in the current directory.
// The ledger is verified first; a ledger that fails is refused, naming the entry (exit 1).
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { MONTH_PATTERN } from '../../shared/settlement/settlement-period.ts';
import { Ledger } from '../market/ledger.ts';
import { memberStatement } from '../market/ledger-queries.ts';
import { LedgerVerification } from '../market/ledger-verification.ts';
import { statementHtml } from '../market/statement-html.ts';
import { statementPdf } from '../market/statement-pdf.ts';
import { CliUsageError } from './cli-error.ts';

export async function run(args: string[]): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args,
      options: {
        data: { type: 'string' },
        member: { type: 'string' },
        month: { type: 'string' },
        format: { type: 'string', default: 'html' },
        out: { type: 'string' },
      },
      strict: true,
    }));
  } catch (error) {
    throw new CliUsageError((error as Error).message);
  }
  if (!values.data) throw new CliUsageError('--data DIR is required (the directory holding ledger.db)');
  if (!values.member) throw new CliUsageError('--member ID is required');
  if (!values.month || !MONTH_PATTERN.test(values.month))
    throw new CliUsageError('--month YYYY-MM is required, e.g. --month 2026-06');
  const format = values.format;
  if (format !== 'html' && format !== 'pdf' && format !== 'json')
    throw new CliUsageError('--format is html, pdf or json');

  const ledger = Ledger.open(path.resolve(values.data), { mustExist: true, readOnly: true });
  let statement;
  try {
    const attestation = new LedgerVerification(ledger).attestation();
    statement = { ...memberStatement(ledger, values.member, values.month), attestation };
  } finally {
    ledger.close();
  }
  if (format === 'pdf') {
    const out = path.resolve(values.out ?? `${values.member}-${values.month}.pdf`);
    fs.writeFileSync(out, await statementPdf(statement));
    console.log(`wrote ${out}`);
    return 0;
  }
  const text = format === 'json' ? `${JSON.stringify(statement, null, 2)}\n` : statementHtml(statement);
  if (values.out) {
    fs.writeFileSync(path.resolve(values.out), text);
    console.log(`wrote ${path.resolve(values.out)}`);
  } else process.stdout.write(text);
  return 0;
}
