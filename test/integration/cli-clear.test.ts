// `commonwatt clear` as a person and a script run it: a child process on the example order files,
// valid and invalid, checking exit codes, the JSON interchange and one-line errors.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const CLI = 'electron/cli/commonwatt.mjs';
const scratch = mkdtempSync(join(tmpdir(), 'commonwatt-clear-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

interface Outcome {
  code: number;
  stdout: string;
  stderr: string;
}

async function clear(...args: string[]): Promise<Outcome> {
  try {
    const { stdout, stderr } = await run(process.execPath, [CLI, 'clear', ...args], { encoding: 'utf8' });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code?: number; stdout?: string; stderr?: string };
    return { code: e.code ?? -1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

function file(name: string, content: string): string {
  const path = join(scratch, name);
  writeFileSync(path, content);
  return path;
}

describe('commonwatt clear', () => {
  it('prints the interchange JSON with --json', async () => {
    const { code, stdout } = await clear('resources/examples/market-uniform.json', '--json');
    expect(code).toBe(0);
    const out = JSON.parse(stdout) as Record<string, unknown> & { trades: Array<Record<string, unknown>> };
    expect(Object.keys(out).slice(0, 5)).toEqual([
      'mechanism',
      'clearingPrice',
      'trades',
      'welfare',
      'localKWh',
    ]);
    expect(out.mechanism).toBe('uniform');
    expect(out.clearingPrice).toBeCloseTo(0.16, 12);
    expect(out.localKWh).toBeCloseTo(3.2, 12);
    expect(out.welfare).toBeCloseTo(0.416, 12);
    for (const trade of out.trades)
      expect(Object.keys(trade).sort()).toEqual([
        'buyOrder',
        'buyer',
        'energyKWh',
        'price',
        'sellOrder',
        'seller',
      ]);
  });

  it('prices per zone, with a null clearing price, when a branch is full', async () => {
    const { code, stdout } = await clear('resources/examples/market-congested.json', '--json');
    expect(code).toBe(0);
    const out = JSON.parse(stdout) as {
      clearingPrice: unknown;
      zones: Array<{ topBus: string; price: number }>;
    };
    expect(out.clearingPrice).toBeNull();
    expect(out.zones.map((z) => z.topBus)).toEqual(['pcc', 'farm']);
  });

  it('prints a table with units by default', async () => {
    const { code, stdout } = await clear('resources/examples/market-congested.json');
    expect(code).toBe(0);
    expect(stdout).toContain('energy (kWh)');
    expect(stdout).toContain('price (/kWh)');
    expect(stdout).toMatch(/zone farm\s+0\.0650 \/kWh/);
    expect(stdout).toContain('feeder-farm pcc→farm  2.000 of 2.000 kWh');
  });

  it('clears the other mechanisms from their example files', async () => {
    for (const name of [
      'market-fixed-rate.json',
      'market-community.json',
      'market-price-match.json',
      'market-hybrid.json',
    ]) {
      const { code, stdout } = await clear(`resources/examples/${name}`, '--json');
      expect(code, name).toBe(0);
      expect((JSON.parse(stdout) as { trades: unknown[] }).trades.length, name).toBeGreaterThan(0);
    }
  });

  it('lists every problem of an invalid file as json.path: message and exits 1', async () => {
    const { code, stdout, stderr } = await clear('resources/examples/market-invalid.json', '--json');
    expect(code).toBe(1);
    expect(stdout).toBe('');
    expect(stderr.trim().split('\n')).toEqual([
      'mechanism: Invalid option: expected one of "uniform"|"pay-as-bid"|"fixed-rate"|"price-match"|"community"|"hybrid"',
      'orders[0].energyKWh: Too small: expected number to be >=0',
      "orders[1].id: duplicate order id 'o1' (first at orders[0])",
      "orders[1].bus: unknown bus 'b9'; buses are the network root and each branch's 'to'",
    ]);
  });

  it('reports loops and cut-off buses in the network', async () => {
    const { code, stderr } = await clear('resources/examples/market-bad-network.json');
    expect(code).toBe(1);
    expect(stderr).toContain("network.branches[1]: branches form a loop through buses 'b4' → 'b5' → 'b4'");
    expect(stderr).toContain("network.branches[3].from: bus 'x' is not connected to the root 'pcc'");
  });

  it('fails in one line, without a stack trace, on a missing or non-JSON file', async () => {
    const missing = await clear(join(scratch, 'absent.json'));
    expect(missing.code).toBe(1);
    expect(missing.stderr.trim()).toMatch(/absent\.json: cannot read the order file \(ENOENT\)$/);
    const garbled = await clear(file('garbled.json', '{ "mechanism": '));
    expect(garbled.code).toBe(1);
    expect(garbled.stderr.trim().split('\n')).toHaveLength(1);
    expect(garbled.stderr).toMatch(/garbled\.json: not valid JSON/);
    expect(garbled.stderr).not.toMatch(/\bat .*\.ts:\d+/);
  });

  it('exits 2 with the usage line for bad options', async () => {
    const unknown = await clear('--frobnicate', 'x.json');
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('usage: commonwatt clear FILE [--json]');
    const none = await clear();
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('missing the order FILE');
  });
});
