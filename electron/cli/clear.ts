// `commonwatt clear FILE [--json]`: clears one market interval from an order file and prints the
// trades as a table, or as the interchange JSON for scripts.
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import {
  clearMarket,
  parseClearInput,
  settleMembers,
  type ClearInput,
  type ClearResult,
} from '../../shared/market/index.ts';
import { formatProblems } from '../../shared/validation/problems.ts';
import { CliUsageError } from './cli-error.ts';

export async function run(args: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      options: { json: { type: 'boolean', default: false } },
      allowPositionals: true,
    });
  } catch (error) {
    throw new CliUsageError(error instanceof Error ? error.message : String(error));
  }
  const [file, ...extra] = parsed.positionals;
  if (file === undefined) throw new CliUsageError('missing the order FILE');
  if (extra.length) throw new CliUsageError(`one order file at a time (also given: ${extra.join(' ')})`);

  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    const reason =
      (error as NodeJS.ErrnoException).code ?? (error instanceof Error ? error.message : String(error));
    console.error(`${file}: cannot read the order file (${reason})`);
    return 1;
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    console.error(`${file}: not valid JSON (${error instanceof Error ? error.message : String(error)})`);
    return 1;
  }
  const input = parseClearInput(raw);
  if (!input.ok) {
    console.error(formatProblems(input.problems));
    return 1;
  }
  const result = clearMarket(input.value);
  console.log(parsed.values.json ? JSON.stringify(interchange(input.value, result), null, 2) : table(result));
  return 0;
}

/** The interchange format's fields first, then the settlement details behind them. */
function interchange(input: ClearInput, result: ClearResult): Record<string, unknown> {
  const { mechanism, clearingPrice, trades, welfare, localKWh, ...details } = result;
  return {
    mechanism,
    clearingPrice,
    trades,
    welfare,
    localKWh,
    ...details,
    members: settleMembers(input, result),
  };
}

function table(result: ClearResult): string {
  const kwh = (v: number) => v.toFixed(3);
  const price = (v: number) => v.toFixed(4);
  const lines: string[] = [];
  lines.push(`mechanism        ${result.mechanism}`);
  if (result.clearingPrice !== null) lines.push(`clearing price   ${price(result.clearingPrice)} /kWh`);
  for (const zone of result.zones)
    lines.push(`zone ${zone.topBus.padEnd(11)} ${price(zone.price)} /kWh  (buses ${zone.buses.join(', ')})`);
  lines.push(`local energy     ${kwh(result.localKWh)} kWh in ${result.trades.length} trades`);
  lines.push(`welfare          ${result.welfare.toFixed(4)}`);
  if (result.grid.available)
    lines.push(
      `grid             import ${kwh(result.grid.importKWh)} kWh, export ${kwh(result.grid.exportKWh)} kWh`,
    );
  else
    lines.push(
      `no grid          unserved ${kwh(result.grid.unservedKWh)} kWh, curtailed ${kwh(result.grid.curtailedKWh)} kWh`,
    );
  if (result.fees.total > 0) lines.push(`fees             ${result.fees.total.toFixed(4)}`);
  if (result.trades.length) {
    const rows = [
      ['sell order', 'buy order', 'seller', 'buyer', 'energy (kWh)', 'price (/kWh)'],
      ...result.trades.map((t) => [
        t.sellOrder,
        t.buyOrder,
        t.seller,
        t.buyer,
        kwh(t.energyKWh),
        price(t.price),
      ]),
    ];
    const widths = rows[0]!.map((_, c) => Math.max(...rows.map((row) => row[c]!.length)));
    lines.push('');
    for (const row of rows)
      lines.push(
        row.map((cell, c) => (c >= 4 ? cell.padStart(widths[c]!) : cell.padEnd(widths[c]!))).join('  '),
      );
  }
  const limited = result.branches.filter((b) => b.limitKWh !== null);
  if (limited.length) {
    lines.push('', 'branch flows (towards the root)');
    for (const b of limited)
      lines.push(`  ${b.branch} ${b.from}→${b.to}  ${kwh(b.energyKWh)} of ${kwh(b.limitKWh!)} kWh`);
  }
  return lines.join('\n');
}
