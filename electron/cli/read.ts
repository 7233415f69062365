// `commonwatt read --host H [--port P] --unit U [--model ID] [--base N] [--all] [--json]`: one
// unit's SunSpec models decoded, each point with its unit.
import { parseArgs } from 'node:util';
import type { PointView } from '../../shared/api/field-api.ts';
import { unitIo } from '../field/device-drivers.ts';
import { ModbusConnection } from '../field/modbus-connection.ts';
import { readUnit } from '../field/unit-reader.ts';
import { CliUsageError } from './cli-error.ts';
import { parsePort, parseTimeout } from './scan.ts';

export async function run(args: string[]): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args,
      options: {
        host: { type: 'string' },
        port: { type: 'string' },
        unit: { type: 'string' },
        model: { type: 'string', multiple: true },
        base: { type: 'string' },
        timeout: { type: 'string' },
        all: { type: 'boolean', default: false },
        json: { type: 'boolean', default: false },
      },
      strict: true,
    }));
  } catch (error) {
    throw new CliUsageError((error as Error).message);
  }
  if (!values.host) throw new CliUsageError('give the endpoint with --host (and --port unless it is 502)');
  const port = parsePort(values.port, 502);
  const unitId = Number(values.unit ?? 1);
  if (!Number.isInteger(unitId) || unitId < 0 || unitId > 255)
    throw new CliUsageError(`--unit is a unit id 0 to 255, not '${values.unit}'`);
  const models = (values.model ?? []).map((m) => {
    const id = Number(m);
    if (!Number.isInteger(id) || id < 1 || id > 65535)
      throw new CliUsageError(`--model is a SunSpec model id such as 103, not '${m}'`);
    return id;
  });
  let base: number | undefined;
  if (values.base !== undefined) {
    base = Number(values.base);
    if (!Number.isInteger(base) || base < 0 || base > 65535)
      throw new CliUsageError(`--base is a register address 0 to 65535, not '${values.base}'`);
  }
  const timeoutMs = parseTimeout(values.timeout, 2000);
  const connection = new ModbusConnection(values.host, port, { maxInFlight: 1, backoffInitialMs: 0 });
  try {
    const view = await readUnit(unitIo(connection, unitId, timeoutMs), {
      ...(base !== undefined ? { base } : {}),
      ...(models.length > 0 ? { models } : {}),
    });
    if (values.json) {
      console.log(JSON.stringify(view, null, 2));
      return view.models.some((m) => m.error) ? 1 : 0;
    }
    console.log(`unit ${unitId} at ${values.host}:${port}, SunSpec base ${view.base}`);
    for (const model of view.models) {
      console.log(`\nmodel ${model.id} ${model.name} (${model.label}) at ${model.offset}, L=${model.length}`);
      if (model.error) console.log(`  cannot read: ${model.error}`);
      const shown = model.points.filter((p) => values.all || p.implemented);
      const width = Math.max(8, ...shown.map((p) => p.name.length));
      for (const point of shown) console.log(`  ${point.name.padEnd(width)}  ${formatValue(point)}`);
    }
    return view.models.some((m) => m.error) ? 1 : 0;
  } finally {
    await connection.close();
  }
}

function formatValue(point: PointView): string {
  if (!point.implemented) return '(not implemented)';
  const v = point.value;
  const text = Array.isArray(v)
    ? v.join(' | ') || '(none set)'
    : typeof v === 'number'
      ? String(Math.round(v * 1e6) / 1e6)
      : String(v);
  return `${text}${point.units && typeof v === 'number' ? ` ${point.units}` : ''}${point.writable ? '  [rw]' : ''}`;
}
