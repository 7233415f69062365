// `commonwatt control` against a running `commonwatt serve`: the operator's terminal gets the
// same check, refusal reasons, confirmation and audit as the Control view. It proves itself with
// the token `serve` wrote under the data directory; without it, or with a wrong one, it is refused.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectRemote, readCliToken } from '../../electron/server/remote-client.ts';
import { runCli, startServe, type Served } from '../fixtures/cli.ts';

let served: Served;
let port: string;
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cw-cli-control-'));

beforeAll(async () => {
  served = await startServe(['--data', dataDir]);
  port = new URL(served.url).port;
  const remote = await connectRemote(`ws://127.0.0.1:${port}/api`, { token: readCliToken(dataDir) });
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
    const r = await runCli(['control', 'status', '--port', port, '--data', dataDir]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^mode\s+grid-connected/m);
    expect(r.stdout).toMatch(/^breaker\s+closed/m);
    expect(r.stdout).toMatch(/^pool SoC\s+\d+\.\d %/m);
  });

  it('refuses an unsafe reconnect with the reason and changes nothing', async () => {
    const r = await runCli(['control', 'reconnect', '--port', port, '--data', dataDir, '--yes']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^refused: \S/);
  });

  it('does nothing unless the operator confirms', async () => {
    const r = await runCli(['control', 'shed', '3', '--port', port, '--data', dataDir]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/add --yes/);
    const state = await runCli(['control', 'status', '--port', port, '--data', dataDir, '--json']);
    const tiers = (JSON.parse(state.stdout) as { tiers: Array<{ tier: number; shed: boolean }> }).tiers;
    expect(tiers.find((t) => t.tier === 3)?.shed).toBe(false);
  });

  it('runs a confirmed command and audits it as coming from the command line', async () => {
    const shed = await runCli(['control', 'shed', '3', '--port', port, '--data', dataDir, '--yes']);
    expect(shed.stderr).toBe('');
    expect(shed.code).toBe(0);
    expect(shed.stdout).toMatch(/^done: /m);
    const restore = await runCli(['control', 'restore', '3', '--port', port, '--data', dataDir, '--yes']);
    expect(restore.code).toBe(0);

    const audit = await runCli(['audit', '--data', dataDir, '--action', 'control/command', '--json']);
    expect(audit.code).toBe(0);
    const mine = (
      JSON.parse(audit.stdout) as Array<{ user: string; transport: string; what: string }>
    ).filter((a) => a.transport === 'cli');
    // The token's user (the first admin), as the CLI: the request names nobody.
    expect(mine.map((a) => [a.user, a.what])).toEqual([
      ['admin', 'shed tier 3'],
      ['admin', 'restore tier 3'],
    ]);
  });

  it('rejects bad usage plainly', async () => {
    const r = await runCli(['control', 'shed', 'x', '--port', port, '--data', dataDir]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/tier number/);
    const noPort = await runCli(['control', 'status']);
    expect(noPort.code).toBe(2);
  });

  it('refuses a CLI without the token, or with a wrong one, and audits both', async () => {
    const elsewhere = fs.mkdtempSync(path.join(os.tmpdir(), 'cw-cli-other-'));
    try {
      const missing = await runCli(['control', 'shed', '3', '--port', port, '--data', elsewhere, '--yes']);
      expect(missing.code).toBe(1);
      expect(missing.stderr).toMatch(/no CLI token in/);
      fs.writeFileSync(
        path.join(elsewhere, 'cli-token'),
        JSON.stringify({ user: 'admin', token: 'A'.repeat(43) }),
      );
      const wrong = await runCli(['control', 'shed', '3', '--port', port, '--data', elsewhere, '--yes']);
      expect(wrong.code).toBe(1);
      expect(wrong.stderr).toMatch(/refused the CLI token/);
    } finally {
      fs.rmSync(elsewhere, { recursive: true, force: true });
    }
    const state = await runCli(['control', 'status', '--port', port, '--data', dataDir, '--json']);
    const tiers = (JSON.parse(state.stdout) as { tiers: Array<{ tier: number; shed: boolean }> }).tiers;
    expect(tiers.find((t) => t.tier === 3)?.shed).toBe(false);
    const refused = await runCli(['audit', '--data', dataDir, '--action', 'cli/token', '--json']);
    expect((JSON.parse(refused.stdout) as Array<{ reason: string }>).map((r) => r.reason)).toEqual([
      'wrong token',
    ]);
  });

  it("keeps the token readable only by the console's OS user", () => {
    expect(fs.statSync(path.join(dataDir, 'cli-token')).mode & 0o777).toBe(0o600);
    expect(fs.statSync(dataDir).mode & 0o777).toBe(0o700);
  });
});

describe('commonwatt audit', () => {
  it('exports the trail as CSV and finds it intact', async () => {
    const csv = await runCli(['audit', '--data', dataDir, '--csv', '--action', 'control/']);
    expect(csv.code).toBe(0);
    const [header, ...rows] = csv.stdout.trim().split('\n');
    expect(header).toBe('id,atMs,user,role,transport,peer,action,what,result,reason,hash');
    expect(rows.some((r) => r.includes(',admin,admin,cli,') && r.includes('shed tier 3'))).toBe(true);
    const verified = await runCli(['audit', '--data', dataDir, '--verify']);
    expect(verified.code).toBe(0);
    expect(verified.stdout).toMatch(/^audit trail intact: \d+ records$/m);
  });

  it('names the first record changed after the fact', async () => {
    const copy = fs.mkdtempSync(path.join(os.tmpdir(), 'cw-audit-tamper-'));
    try {
      // A consistent copy of the live file (SQLite's own backup), then one record's user rewritten.
      const live = new Database(path.join(dataDir, 'audit.db'), { readonly: true });
      await live.backup(path.join(copy, 'audit.db'));
      live.close();
      const db = new Database(path.join(copy, 'audit.db'));
      db.prepare("UPDATE audit SET user = 'someone-else' WHERE id = 2").run();
      db.close();
      const verified = await runCli(['audit', '--data', copy, '--verify']);
      expect(verified.code).toBe(1);
      expect(verified.stderr).toMatch(/^audit record 2 does not match its hash/);
    } finally {
      fs.rmSync(copy, { recursive: true, force: true });
    }
  });
});
