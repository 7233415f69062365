// A member's monthly statement from a ledger connection, with the printable forms asked for. The
// one recipe for the statement worker, the CLI and the console's fallback when no worker starts.
// The caller verifies the ledger first and hands over the signed head it verified (a statement
// from a ledger that fails verification is refused, see ledger-verification.ts); the documents
// print it, so an auditor can check them offline.
import type { LedgerAttestation, MemberStatement } from '../../shared/settlement/statement.ts';
import type { Ledger } from './ledger.ts';
import { memberStatement } from './ledger-queries.ts';
import { statementHtml } from './statement-html.ts';
import { statementPdf } from './statement-pdf.ts';

export interface StatementFormats {
  html?: boolean;
  pdf?: boolean;
}

export interface BuiltStatement {
  statement: MemberStatement;
  html: string | null;
  pdfBase64: string | null;
}

export async function buildStatement(
  ledger: Ledger,
  member: string,
  month: string,
  formats: StatementFormats,
  attestation: LedgerAttestation,
): Promise<BuiltStatement> {
  const statement = { ...memberStatement(ledger, member, month), attestation };
  return {
    statement,
    html: formats.html ? statementHtml(statement) : null,
    pdfBase64: formats.pdf ? Buffer.from(await statementPdf(statement)).toString('base64') : null,
  };
}
