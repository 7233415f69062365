// A member's statement as one printable HTML document: styles inline, system fonts only, no
// scripts and nothing fetched, so it opens and prints the same offline, years from now.
import type { MemberStatement } from '../../shared/settlement/statement.ts';
import { fixed, kwh, localDateTime, money, monthName, price } from './statement-format.ts';

const style = `
  @page { size: A4; margin: 16mm; }
  * { box-sizing: border-box; }
  body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
         color: #1c2430; margin: 0 auto; max-width: 800px; padding: 24px; font-size: 13px; line-height: 1.45; }
  h1 { font-size: 22px; margin: 0 0 4px; }
  h2 { font-size: 15px; margin: 22px 0 6px; border-bottom: 1px solid #c9d1dc; padding-bottom: 3px; }
  .sub { color: #56627a; margin: 0; }
  table { width: 100%; border-collapse: collapse; margin: 4px 0; }
  th, td { text-align: left; padding: 3px 6px; border-bottom: 1px solid #e4e8ee; vertical-align: top; }
  th { font-weight: 600; color: #56627a; font-size: 12px; }
  td.n, th.n { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
  tr.total td { font-weight: 700; border-top: 2px solid #1c2430; border-bottom: none; }
  .summary { display: flex; gap: 12px; margin: 16px 0 4px; }
  .box { flex: 1; border: 1px solid #c9d1dc; border-radius: 6px; padding: 8px 10px; }
  .box .label { color: #56627a; font-size: 11px; text-transform: uppercase; letter-spacing: .04em; }
  .box .value { font-size: 20px; font-weight: 700; }
  .note { color: #56627a; font-size: 11px; }
  .mono { font-family: ui-monospace, "SFMono-Regular", Menlo, Consolas, monospace; font-size: 11px; word-break: break-all; }
  @media print { body { padding: 0; } .box { break-inside: avoid; } }
`;

function esc(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

export function statementHtml(s: MemberStatement): string {
  const c = s.site.currency;
  const tz = s.site.timezone;
  const e = s.energy;
  const row = (cells: string[], numeric: boolean[] = []) =>
    `<tr>${cells.map((cell, i) => `<td${numeric[i] ? ' class="n"' : ''}>${cell}</td>`).join('')}</tr>`;
  const energyRows = [
    ['Consumed (metered import)', kwh(e.consumedKWh)],
    ['— from your own storage account', kwh(e.fromOwnStorageKWh)],
    ['— from the community pool', kwh(e.fromPoolKWh)],
    ['— from neighbours', kwh(e.fromNeighboursKWh)],
    ['— from the grid', kwh(e.fromGridKWh)],
    ...(e.unservedKWh > 0 ? [['— not supplied (islanded)', kwh(e.unservedKWh)]] : []),
    ['Fed in (metered export)', kwh(e.exportedKWh)],
    ['— stored in your account', kwh(e.storedKWh)],
    ['— sold to the community pool', kwh(e.soldToPoolKWh)],
    ['— sold to neighbours', kwh(e.soldToNeighboursKWh)],
    ['— exported to the grid', kwh(e.toGridKWh)],
    ...(e.curtailedKWh > 0 ? [['— not taken (islanded)', kwh(e.curtailedKWh)]] : []),
  ]
    .map((r) => row(r, [false, true]))
    .join('');
  const moneyRows = s.money.lines
    .map((l) =>
      row([esc(l.label), kwh(l.kWh), price(l.pricePerKWh, c), money(l.amount, c)], [false, true, true, true]),
    )
    .join('');
  const adjustments = s.adjustments.length
    ? `<h2>Adjustments</h2>
       <p class="note">Corrections of intervals already billed, booked as separate ledger entries.</p>
       <table><thead><tr><th>Interval</th><th>Booked</th><th>Reason</th><th class="n">Import</th><th class="n">Export</th><th class="n">Amount</th></tr></thead>
       <tbody>${s.adjustments
         .map((a) =>
           row(
             [
               localDateTime(a.intervalStartMs, tz),
               localDateTime(a.bookedMs, tz),
               esc(a.reason),
               kwh(a.importKWh),
               kwh(a.exportKWh),
               money(a.netCost, c),
             ],
             [false, false, false, true, true, true],
           ),
         )
         .join('')}</tbody></table>`
    : '';
  const a = s.account;
  const allowance = s.allowance
    ? `<h2>Yearly allowance</h2><table><tbody>
        ${row(['Pool energy covered by the allowance this month', kwh(s.allowance.usedKWh)], [false, true])}
        ${s.allowance.paybackKWh > 0 ? row(['Unused allowance paid back', `${kwh(s.allowance.paybackKWh)} · ${money(s.allowance.paybackAmount, c)}`], [false, true]) : ''}
       </tbody></table>`
    : '';
  const daily = s.daily
    .map((d) =>
      row(
        [d.date, kwh(d.importKWh), kwh(d.exportKWh), money(d.netCost, c), money(d.gridOnlyCost, c)],
        [false, true, true, true, true],
      ),
    )
    .join('');
  const owes = s.money.total >= 0;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Statement ${esc(s.member.name)} ${esc(s.month)}</title>
<style>${style}</style></head>
<body>
<h1>${esc(s.site.name)} — energy statement</h1>
<p class="sub">${esc(s.member.name)} (${esc(s.member.id)}, ${esc(s.member.category)}) · ${esc(monthName(s.month))} · times in ${esc(tz)}</p>
<div class="summary">
  <div class="box"><div class="label">${owes ? 'Amount due' : 'Amount credited'}</div><div class="value">${money(Math.abs(s.money.total), c)}</div></div>
  <div class="box"><div class="label">With the grid alone</div><div class="value">${money(s.money.gridOnlyCost, c)}</div></div>
  <div class="box"><div class="label">You saved</div><div class="value">${money(s.money.savings, c)}</div></div>
</div>
<p class="note">${s.intervals.settled} of ${s.intervals.expected} intervals settled${s.intervals.flagged ? `, ${s.intervals.flagged} flagged (incomplete or late readings)` : ''}${s.intervals.islanded ? `, ${s.intervals.islanded} islanded` : ''}. Market: ${esc(s.site.preset)}.</p>
<h2>Energy</h2>
<table><tbody>${energyRows}</tbody></table>
<h2>Charges and credits</h2>
<table><thead><tr><th>Item</th><th class="n">Energy</th><th class="n">Average price</th><th class="n">Amount</th></tr></thead>
<tbody>${moneyRows}
${row(['Fees (network, community, operator)', '', '', money(s.money.fees, c)], [false, true, true, true])}
${s.adjustments.length ? row(['Adjustments', '', '', money(s.money.adjustments, c)], [false, true, true, true]) : ''}
<tr class="total"><td>Total for the month</td><td></td><td></td><td class="n">${money(s.money.total, c)}</td></tr>
</tbody></table>
<p class="note">Positive amounts are charges, negative amounts credits. “With the grid alone” prices the same metered energy at the grid's time-of-use import and export prices.</p>
${adjustments}
<h2>Virtual storage account</h2>
<table><tbody>
${row(['Account capacity (your share of the pool, less the islanding reserve)', kwh(a.capacityKWh)], [false, true])}
${row(['Opening balance', kwh(a.openingKWh)], [false, true])}
${row(['+ stored from your surplus', kwh(a.storedKWh)], [false, true])}
${row(['− drawn for your own use', kwh(a.drawnKWh)], [false, true])}
${row(['− sold to serve other members', kwh(a.soldKWh)], [false, true])}
${row(["− share of the pool's losses", kwh(a.lossKWh)], [false, true])}
<tr class="total"><td>Closing balance</td><td class="n">${kwh(a.closingKWh)}</td></tr>
</tbody></table>
${allowance}
<h2>Day by day</h2>
<table><thead><tr><th>Date</th><th class="n">Import</th><th class="n">Export</th><th class="n">Amount</th><th class="n">Grid alone</th></tr></thead>
<tbody>${daily}</tbody></table>
<h2>Ledger</h2>
<p class="note">This statement is made from ledger entries ${s.ledger.firstSeq ?? '—'}–${s.ledger.lastSeq ?? '—'} (${s.ledger.entries} entries). Each entry's SHA-256 hash covers the one before it; the last is</p>
<p class="mono">${esc(s.ledger.lastHash ?? '—')}</p>
${attestationHtml(s)}
<p class="note">Anyone with a copy of the ledger can check it with <span class="mono">commonwatt ledger verify --data DIR --fingerprint "FINGERPRINT"</span>. Figures: energy in kWh (${fixed(0.001, 3)} kWh = 1 Wh), money in ${esc(c)}.</p>
</body></html>
`;
}

/** The signed head the statement was verified under, for an auditor checking it offline. */
function attestationHtml(s: MemberStatement): string {
  const a = s.attestation;
  if (!a) return '<p><strong>This statement was made without verifying the ledger.</strong></p>';
  return `<p class="note">Verified under the ledger's signed head: entry ${a.headSeq} of ledger <span class="mono">${esc(a.ledgerId)}</span>, hash</p>
<p class="mono">${esc(a.headHash)}</p>
<p class="note">Ledger key fingerprint (SHA-256 of the Ed25519 public key) — compare it with the one your community publishes:</p>
<p class="mono"><strong>${esc(a.fingerprint)}</strong></p>
<p class="note">Public key (base64) <span class="mono">${esc(a.publicKey)}</span></p>
<p class="note">Head signature (base64) <span class="mono">${esc(a.signature)}</span> over the text <span class="mono">commonwatt.ledger-head/1</span>, the ledger id, ${a.headSeq}, the head hash and <span class="mono">${esc(a.durability)}</span>, one per line.</p>`;
}
