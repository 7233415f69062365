// `commonwatt control` against a running `commonwatt serve`: the operator's terminal gets the
// same check, refusal reasons, confirmation and audit as the Control view.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuditRecord } from '../../shared/api/control-api.ts';
import { connectRemote } from '../../electron/server/remote-client.ts';
import { runCli, startServe, type Served } from '../fixtures/cli.ts';

let served: Served;
let port: string;
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cw-cli-control-'));

beforeAll(async () => {
  served = await startServe(['--data', dataDir]);
  port = new URL(served.url).port;
  const remote = await connectRemote(`ws://127.0.0.1:${port}/api`);
  // The controller holds its first ticks until the PCC meter, breaker and batteries were read.
  const deadline = Date.now() + 30_000;
  while ((await remote.call('control/state', {})).pool.socFraction === null) {
    if (Date.now() > deadline) throw new Error('the controller had no pool reading within 30 s');
    await new Promise((r) => setTimeout(r, 250));
  }
  remote.close();
});

afterAll(async () => {
  await served?.stop();
  fs.rmSync(dataDir, { recursive: true, force: true });
});

describe('commonwatt control', () => {
  it('prints the mode, the breaker and the pool', async () => {
    const r = await runCli(['control', 'status', '--port', port]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^mode\s+grid-connected/m);
    expect(r.stdout).toMatch(/^breaker\s+closed/m);
    expect(r.stdout).toMatch(/^pool SoC\s+\d+\.\d %/m);
  });

  it('refuses an unsafe reconnect with the reason and changes nothing', async () => {
    const r = await runCli(['control', 'reconnect', '--port', port, '--yes']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^refused: \S/);
  });

  it('does nothing unless the operator confirms', async () => {
    const r = await runCli(['control', 'shed', '3', '--port', port]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/add --yes/);
    const state = await runCli(['control', 'status', '--port', port, '--json']);
    const tiers = (JSON.parse(state.stdout) as { tiers: Array<{ tier: number; shed: boolean }> }).tiers;
    expect(tiers.find((t) => t.tier === 3)?.shed).toBe(false);
  });

  it('runs a confirmed command and audits it as coming from the command line', async () => {
    const shed = await runCli(['control', 'shed', '3', '--port', port, '--yes', '--operator', 'tech-ana']);
    expect(shed.stderr).toBe('');
    expect(shed.code).toBe(0);
    expect(shed.stdout).toMatch(/^done: /m);
    const restore = await runCli([
      'control',
      'restore',
      '3',
      '--port',
      port,
      '--yes',
      '--operator',
      'tech-ana',
    ]);
    expect(restore.code).toBe(0);

    const remote = await connectRemote(`ws://127.0.0.1:${port}/api`);
    const audit: AuditRecord[] = await remote.call('control/audit', { limit: 50 });
    remote.close();
    const mine = audit.filter((a) => a.operator === 'tech-ana');
    expect(mine.map((a) => a.origin)).toEqual(['cli', 'cli']);
    expect(mine.map((a) => a.command.kind).sort()).toEqual(['restore', 'shed']);
  });

  it('rejects bad usage plainly', async () => {
    const r = await runCli(['control', 'shed', 'x', '--port', port]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/tier number/);
    const noPort = await runCli(['control', 'status']);
    expect(noPort.code).toBe(2);
  });
});
