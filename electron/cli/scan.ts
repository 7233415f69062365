// `commonwatt scan --host H [--port P] [--units 1-247] [--timeout MS] [--json]`: every unit id
// that answers behind one endpoint, with its SunSpec base and models. Progress goes to stderr,
// and only on a terminal, so the output can be piped.
import { parseArgs } from 'node:util';
import { scanEndpoint } from '../field/endpoint-scan.ts';
import { CliUsageError } from './cli-error.ts';

export function parsePort(text: string | undefined, fallback: number): number {
  const port = Number(text ?? fallback);
  if (!Number.isInteger(port) || port < 1 || port > 65535)
    throw new CliUsageError(`--port must be a TCP port 1 to 65535, not '${text}'`);
  return port;
}

export function parseUnitRange(text: string | undefined): [number, number] {
  if (text === undefined) return [1, 247];
  const match = /^(\d{1,3})(?:-(\d{1,3}))?$/.exec(text.trim());
  const from = Number(match?.[1]);
  const to = Number(match?.[2] ?? match?.[1]);
  if (!match || from > to || to > 255)
    throw new CliUsageError(`--units is a unit id or a range such as 1-247, not '${text}'`);
  return [from, to];
}

export function parseTimeout(text: string | undefined, fallback: number): number {
  const ms = Number(text ?? fallback);
  if (!Number.isInteger(ms) || ms < 50 || ms > 60_000)
    throw new CliUsageError(`--timeout is milliseconds from 50 to 60000, not '${text}'`);
  return ms;
}

export async function run(args: string[]): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args,
      options: {
        host: { type: 'string' },
        port: { type: 'string' },
        units: { type: 'string' },
        timeout: { type: 'string' },
        json: { type: 'boolean', default: false },
      },
      strict: true,
    }));
  } catch (error) {
    throw new CliUsageError((error as Error).message);
  }
  if (!values.host) throw new CliUsageError('give the endpoint with --host (and --port unless it is 502)');
  const port = parsePort(values.port, 502);
  const [fromUnit, toUnit] = parseUnitRange(values.units);
  const timeoutMs = parseTimeout(values.timeout, 1000);
  const tty = process.stderr.isTTY;
  let found = 0;
  const result = await scanEndpoint({
    host: values.host,
    port,
    fromUnit,
    toUnit,
    timeoutMs,
    onProgress: (p) => {
      if (p.found) found++;
      if (tty) process.stderr.write(`\rscanning unit ${p.unit} (${p.done}/${p.total}), ${found} found `);
    },
  });
  if (tty) process.stderr.write('\r\x1b[K');
  if (values.json) {
    const units = result.units.map((u) => ({ unit: u.unit, base: u.base, models: u.models }));
    console.log(JSON.stringify(units, null, 2));
  } else {
    for (const u of result.units) {
      const who = [u.manufacturer, u.model, u.serial].filter(Boolean).join(' ');
      console.log(
        u.base === null
          ? `unit ${u.unit}: answers, no SunSpec map`
          : `unit ${u.unit}: SunSpec at ${u.base}, models ${u.models.map((m) => m.id).join(', ') || 'none'}${who ? `  (${who})` : ''}`,
      );
    }
    if (result.units.length === 0 && !result.error)
      console.error(`no unit ${fromUnit}-${toUnit} answered at ${values.host}:${port}`);
  }
  if (result.error) {
    console.error(`commonwatt scan: ${result.error}`);
    return 1;
  }
  return 0;
}
