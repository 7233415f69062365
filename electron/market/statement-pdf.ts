// A member's statement as a PDF (A4), drawn with pdf-lib and the standard Helvetica faces, which
// every PDF reader has: no font file is embedded or fetched. The document's dates are the end
// of the statement's month, so the same ledger always gives the same bytes.
import { PDFDocument, StandardFonts, rgb, type PDFFont, type PDFPage } from 'pdf-lib';
import type { MemberStatement } from '../../shared/settlement/statement.ts';
import { kwh, localDateTime, money, monthName, price } from './statement-format.ts';

const A4: [number, number] = [595.28, 841.89];
const MARGIN = 48;
const INK = rgb(0.11, 0.14, 0.19);
const MUTED = rgb(0.34, 0.38, 0.48);
const RULE = rgb(0.79, 0.82, 0.86);

/** Helvetica's WinAnsi encoding lacks a few characters our formatting uses. */
function winAnsi(text: string): string {
  return text
    .replace(/\u2212/g, '-')
    .replace(/[\u2264]/g, '<=')
    .replace(/[^\u0020-\u007e\u00a0-\u00ff€—–‘’“”•…]/g, '?');
}

class Writer {
  page: PDFPage;
  y: number;

  constructor(
    private readonly doc: PDFDocument,
    private readonly regular: PDFFont,
    private readonly bold: PDFFont,
  ) {
    this.page = doc.addPage(A4);
    this.y = A4[1] - MARGIN;
  }

  private room(height: number): void {
    if (this.y - height < MARGIN) {
      this.page = this.doc.addPage(A4);
      this.y = A4[1] - MARGIN;
    }
  }

  text(
    text: string,
    options: { size?: number; bold?: boolean; color?: ReturnType<typeof rgb>; gap?: number } = {},
  ): void {
    const size = options.size ?? 10;
    this.room(size + 4);
    this.page.drawText(winAnsi(text), {
      x: MARGIN,
      y: this.y - size,
      size,
      font: options.bold ? this.bold : this.regular,
      color: options.color ?? INK,
    });
    this.y -= size + (options.gap ?? 5);
  }

  heading(text: string): void {
    this.y -= 8;
    this.room(30);
    this.text(text, { size: 12, bold: true, gap: 3 });
    this.rule();
  }

  rule(): void {
    this.page.drawLine({
      start: { x: MARGIN, y: this.y },
      end: { x: A4[0] - MARGIN, y: this.y },
      thickness: 0.6,
      color: RULE,
    });
    this.y -= 5;
  }

  /** A table row: the first column left-aligned, the rest right-aligned at the given right edges. */
  row(
    cells: string[],
    rightEdges: number[],
    options: { bold?: boolean; size?: number; color?: ReturnType<typeof rgb> } = {},
  ): void {
    const size = options.size ?? 9;
    this.room(size + 5);
    const font = options.bold ? this.bold : this.regular;
    const color = options.color ?? INK;
    cells.forEach((cell, i) => {
      const text = winAnsi(cell);
      const x = i === 0 ? MARGIN : MARGIN + rightEdges[i - 1]! - font.widthOfTextAtSize(text, size);
      this.page.drawText(text, { x, y: this.y - size, size, font, color });
    });
    this.y -= size + 5;
  }
}

export async function statementPdf(s: MemberStatement): Promise<Uint8Array> {
  const doc = await PDFDocument.create({ updateMetadata: false });
  const when = new Date(s.toMs);
  doc.setTitle(`Statement ${s.member.name} ${s.month}`);
  doc.setAuthor(s.site.name);
  doc.setProducer('Commonwatt');
  doc.setCreator('Commonwatt');
  doc.setCreationDate(when);
  doc.setModificationDate(when);
  const regular = await doc.embedFont(StandardFonts.Helvetica);
  const bold = await doc.embedFont(StandardFonts.HelveticaBold);
  const w = new Writer(doc, regular, bold);
  const c = s.site.currency;
  const width = A4[0] - 2 * MARGIN;

  w.text(`${s.site.name} - energy statement`, { size: 17, bold: true, gap: 6 });
  w.text(
    `${s.member.name} (${s.member.id}, ${s.member.category}) · ${monthName(s.month)} · times in ${s.site.timezone}`,
    {
      color: MUTED,
      gap: 12,
    },
  );
  const owes = s.money.total >= 0;
  w.row([owes ? 'Amount due' : 'Amount credited', money(Math.abs(s.money.total), c)], [width], {
    bold: true,
    size: 13,
  });
  w.row(['With the grid alone', money(s.money.gridOnlyCost, c)], [width]);
  w.row(['You saved', money(s.money.savings, c)], [width], { bold: true });
  w.text(
    `${s.intervals.settled} of ${s.intervals.expected} intervals settled` +
      (s.intervals.flagged ? `, ${s.intervals.flagged} flagged (incomplete or late readings)` : '') +
      (s.intervals.islanded ? `, ${s.intervals.islanded} islanded` : '') +
      `. Market: ${s.site.preset}.`,
    { size: 8, color: MUTED },
  );

  const e = s.energy;
  w.heading('Energy');
  const energy: Array<[string, number]> = [
    ['Consumed (metered import)', e.consumedKWh],
    ['   from your own storage account', e.fromOwnStorageKWh],
    ['   from the community pool', e.fromPoolKWh],
    ['   from neighbours', e.fromNeighboursKWh],
    ['   from the grid', e.fromGridKWh],
    ...(e.unservedKWh > 0
      ? ([['   not supplied (islanded)', e.unservedKWh]] as Array<[string, number]>)
      : []),
    ['Fed in (metered export)', e.exportedKWh],
    ['   stored in your account', e.storedKWh],
    ['   sold to the community pool', e.soldToPoolKWh],
    ['   sold to neighbours', e.soldToNeighboursKWh],
    ['   exported to the grid', e.toGridKWh],
    ...(e.curtailedKWh > 0 ? ([['   not taken (islanded)', e.curtailedKWh]] as Array<[string, number]>) : []),
  ];
  for (const [label, value] of energy) w.row([label, kwh(value)], [width]);

  w.heading('Charges and credits');
  const cols = [width * 0.6, width * 0.8, width];
  w.row(['Item', 'Energy', 'Average price', 'Amount'], cols, { bold: true, color: MUTED });
  for (const l of s.money.lines)
    w.row([l.label, kwh(l.kWh), price(l.pricePerKWh, c), money(l.amount, c)], cols);
  w.row(['Fees (network, community, operator)', '', '', money(s.money.fees, c)], cols);
  if (s.adjustments.length) w.row(['Adjustments', '', '', money(s.money.adjustments, c)], cols);
  w.rule();
  w.row(['Total for the month', '', '', money(s.money.total, c)], cols, { bold: true });
  w.text('Positive amounts are charges, negative amounts credits.', { size: 8, color: MUTED });

  if (s.adjustments.length) {
    w.heading('Adjustments');
    const adj = [width * 0.62, width * 0.81, width];
    w.row(['Interval / booked / reason', 'Import', 'Export', 'Amount'], adj, { bold: true, color: MUTED });
    for (const a of s.adjustments)
      w.row(
        [
          `${localDateTime(a.intervalStartMs, s.site.timezone)} / ${localDateTime(a.bookedMs, s.site.timezone)} / ${a.reason}`.slice(
            0,
            70,
          ),
          kwh(a.importKWh),
          kwh(a.exportKWh),
          money(a.netCost, c),
        ],
        adj,
      );
  }

  const a = s.account;
  w.heading('Virtual storage account');
  for (const [label, value] of [
    ['Account capacity (your share of the pool, less the islanding reserve)', a.capacityKWh],
    ['Opening balance', a.openingKWh],
    ['+ stored from your surplus', a.storedKWh],
    ['- drawn for your own use', a.drawnKWh],
    ['- sold to serve other members', a.soldKWh],
    ["- share of the pool's losses", a.lossKWh],
  ] as Array<[string, number]>)
    w.row([label, kwh(value)], [width]);
  w.row(['Closing balance', kwh(a.closingKWh)], [width], { bold: true });

  if (s.allowance) {
    w.heading('Yearly allowance');
    w.row(['Pool energy covered by the allowance this month', kwh(s.allowance.usedKWh)], [width]);
    if (s.allowance.paybackKWh > 0)
      w.row(
        [
          'Unused allowance paid back',
          `${kwh(s.allowance.paybackKWh)} · ${money(s.allowance.paybackAmount, c)}`,
        ],
        [width],
      );
  }

  w.heading('Day by day');
  const day = [width * 0.4, width * 0.6, width * 0.8, width];
  w.row(['Date', 'Import', 'Export', 'Amount', 'Grid alone'], day, { bold: true, color: MUTED });
  for (const d of s.daily)
    w.row([d.date, kwh(d.importKWh), kwh(d.exportKWh), money(d.netCost, c), money(d.gridOnlyCost, c)], day);

  w.heading('Ledger');
  w.text(
    `Made from ledger entries ${s.ledger.firstSeq ?? '-'}-${s.ledger.lastSeq ?? '-'} (${s.ledger.entries} entries); the last entry's SHA-256 hash is`,
    { size: 8, color: MUTED },
  );
  w.text(s.ledger.lastHash ?? '-', { size: 8 });
  const att = s.attestation;
  if (att) {
    w.text(`Verified under the ledger's signed head, entry ${att.headSeq} (ledger ${att.ledgerId}), hash`, {
      size: 8,
      color: MUTED,
    });
    w.text(att.headHash, { size: 8 });
    w.text('Ledger key fingerprint (SHA-256 of the Ed25519 public key):', { size: 8, color: MUTED });
    w.text(att.fingerprint, { size: 9, bold: true });
    w.text(`Public key (base64): ${att.publicKey}`, { size: 8 });
    w.text('Head signature (base64):', { size: 8, color: MUTED });
    w.text(att.signature, { size: 8 });
    w.text(
      `Signed text: "commonwatt.ledger-head/1", the ledger id, ${att.headSeq}, the head hash and "${att.durability}", one per line.`,
      { size: 8, color: MUTED },
    );
  } else w.text('This statement was made without verifying the ledger.', { size: 9, bold: true });
  w.text(
    'Check the ledger with: commonwatt ledger verify --data DIR --fingerprint "<the fingerprint above>"',
    {
      size: 8,
      color: MUTED,
    },
  );
  return doc.save({ useObjectStreams: false });
}
