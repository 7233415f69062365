// Interoperability with an independent Modbus/TCP server: Debian's pymodbus serves a SunSpec
// image built here straight from the official SunSpec JSON model definitions (not with our
// codec), and `commonwatt scan` and `commonwatt read` find and decode it.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { run as read } from '../../electron/cli/read.ts';
import { run as scan } from '../../electron/cli/scan.ts';
import { repoRoot } from '../fixtures/paths.ts';

const PYTHON = '/usr/bin/python3';
const REFERENCE_DIR = path.resolve(repoRoot, '..', 'shared', 'reference', 'sunspec-models');

interface OfficialPoint {
  name: string;
  type: string;
  size: number;
}
interface OfficialModel {
  id: number;
  group: { points: OfficialPoint[] };
}

function official(id: number): OfficialModel {
  return JSON.parse(fs.readFileSync(path.join(REFERENCE_DIR, `model_${id}.json`), 'utf8')) as OfficialModel;
}

/** Not-implemented value of each type, from the SunSpec specification. */
function sentinel(type: string, size: number): number[] {
  switch (type) {
    case 'int16':
    case 'sunssf':
      return [0x8000];
    case 'int32':
      return [0x8000, 0];
    case 'uint32':
    case 'enum32':
    case 'bitfield32':
      return [0xffff, 0xffff];
    case 'acc16':
    case 'acc32':
    case 'acc64':
    case 'string':
      return new Array<number>(size).fill(0);
    case 'float32':
      return [0x7fc0, 0];
    default:
      return new Array<number>(size).fill(0xffff);
  }
}

/** One model's registers (ID, L, body) from the official definition and raw register values. */
function officialModel(id: number, raw: Record<string, number[] | string>): number[] {
  const def = official(id);
  const body: number[] = [];
  for (const point of def.group.points) {
    if (point.name === 'ID' || point.name === 'L') continue;
    const value = raw[point.name];
    if (typeof value === 'string') {
      const bytes = Buffer.alloc(point.size * 2);
      bytes.write(value, 'latin1');
      for (let i = 0; i < point.size; i++) body.push(bytes.readUInt16BE(i * 2));
    } else body.push(...(value ?? sentinel(point.type, point.size)));
  }
  return [def.id, body.length, ...body];
}

function image(models: number[][]): number[] {
  return [0x5375, 0x6e53, ...models.flat(), 0xffff, 0];
}

const s16 = (v: number) => [v & 0xffff];

let child: ChildProcess;
let port: number;
let dir: string;

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const p = (server.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return p;
}

async function capture(fn: () => Promise<number>): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const log = vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void out.push(a.join(' ')));
  const error = vi
    .spyOn(console, 'error')
    .mockImplementation((...a: unknown[]) => void err.push(a.join(' ')));
  try {
    return { code: await fn(), out: out.join('\n'), err: err.join('\n') };
  } finally {
    log.mockRestore();
    error.mockRestore();
  }
}

beforeAll(async () => {
  if (!fs.existsSync(PYTHON)) throw new Error(`no ${PYTHON}: install Debian's python3-pymodbus`);
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cw-pymodbus-'));
  const meter = image([
    officialModel(1, { Mn: 'pymodbus', Md: 'reference meter', SN: 'PM-3', DA: [3] }),
    officialModel(203, {
      A: s16(1234),
      A_SF: s16(-2),
      PhVphA: s16(2301),
      V_SF: s16(-1),
      Hz: s16(5001),
      Hz_SF: s16(-2),
      W: s16(-4321),
      W_SF: s16(0),
      TotWhImp: [0, 56789],
      TotWhExp: [0, 1200],
      TotWh_SF: s16(0),
    }),
  ]);
  const battery = image([
    officialModel(1, { Mn: 'pymodbus', Md: 'reference battery', SN: 'PM-7', DA: [7] }),
    officialModel(802, { SoC: [655], SoC_SF: s16(-1), WHRtg: [10000], WHRtg_SF: s16(1) }),
  ]);
  const file = path.join(dir, 'image.json');
  fs.writeFileSync(
    file,
    JSON.stringify({ units: { 3: { base: 40000, registers: meter }, 7: { base: 0, registers: battery } } }),
  );
  port = await freePort();
  child = spawn(
    PYTHON,
    [
      path.join(repoRoot, 'test/fixtures/pymodbus-sunspec-server.py'),
      '--port',
      String(port),
      '--image',
      file,
    ],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let output = '';
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`pymodbus did not start:\n${output}`)), 20_000);
    child.stdout?.on('data', (d: Buffer) => {
      output += d.toString();
      if (output.includes('listening on')) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
    child.on('exit', (code) => reject(new Error(`pymodbus exited with ${code}:\n${output}`)));
  });
});

afterAll(async () => {
  if (child && child.exitCode === null) {
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    await exited;
  }
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('interoperability with pymodbus', () => {
  it('scan finds both units, each at its own SunSpec base', async () => {
    const { code, out } = await capture(() =>
      scan(['--host', '127.0.0.1', '--port', String(port), '--units', '1-8', '--timeout', '300', '--json']),
    );
    expect(code).toBe(0);
    const units = JSON.parse(out) as Array<{
      unit: number;
      base: number;
      models: Array<{ id: number; offset: number; length: number }>;
    }>;
    expect(units.map((u) => u.unit)).toEqual([3, 7]);
    expect(units[0]).toEqual({
      unit: 3,
      base: 40000,
      models: [
        { id: 1, offset: 40002, length: 66 },
        { id: 203, offset: 40070, length: 105 },
      ],
    });
    expect(units[1]!.base).toBe(0);
    expect(units[1]!.models.map((m) => m.id)).toEqual([1, 802]);
  });

  it('read decodes the meter with scale factors and units', async () => {
    const { code, out } = await capture(() =>
      read(['--host', '127.0.0.1', '--port', String(port), '--unit', '3', '--model', '203', '--json']),
    );
    expect(code).toBe(0);
    const view = JSON.parse(out);
    const points = Object.fromEntries(view.models[0].points.map((p: any) => [p.name, p]));
    expect(points.W).toMatchObject({ value: -4321, units: 'W', implemented: true });
    expect(points.Hz.value).toBeCloseTo(50.01, 6);
    expect(points.PhVphA.value).toBeCloseTo(230.1, 6);
    expect(points.A.value).toBeCloseTo(12.34, 6);
    expect(points.TotWhImp.value).toBe(56789);
    expect(points.PhVphB.implemented).toBe(false);
  });

  it('read prints points with their units for a person', async () => {
    const { code, out } = await capture(() =>
      read(['--host', '127.0.0.1', '--port', String(port), '--unit', '7']),
    );
    expect(code).toBe(0);
    expect(out).toMatch(/unit 7 at 127\.0\.0\.1:\d+, SunSpec base 0/);
    expect(out).toMatch(/model 802 battery/);
    expect(out).toMatch(/SoC\s+65\.5 %WHRtg/);
    expect(out).toMatch(/Mn\s+pymodbus/);
  });

  it('read names the model a unit does not have', async () => {
    const { code, err } = await capture(() =>
      read(['--host', '127.0.0.1', '--port', String(port), '--unit', '3', '--model', '124']).catch(
        (e: Error) => {
          console.error(e.message);
          return 1;
        },
      ),
    );
    expect(code).toBe(1);
    expect(err).toMatch(/unit 3 has no model 124; it has 1, 203/);
  });
});
