// Settling is idempotent across a crash: a run killed with SIGKILL part-way and then run again
// books every interval exactly once, leaves a valid chain, and yields statements (and a chain
// head) identical to an uninterrupted run's. A corrected reading is never booked silently.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { IntervalSettler } from '../../electron/market/interval-settler.ts';
import { memberStatement } from '../../electron/market/ledger-queries.ts';
import { Ledger } from '../../electron/market/ledger.ts';
import { statementHtml } from '../../electron/market/statement-html.ts';
import { demoSite } from '../fixtures/demo-site.ts';
import { repoRoot } from '../fixtures/paths.ts';
import { physicsIntervals } from '../fixtures/physics-intervals.ts';

const INTERVALS = 6 * 96; // 1–6 June 2026
const runTs = path.join(repoRoot, 'electron', 'cli', 'run-ts.mjs');
const child = path.join(repoRoot, 'test', 'fixtures', 'settle-run.ts');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'commonwatt-idem-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  lines: string[];
}

/** Runs the settlement child; with `killAfter`, SIGKILLs it once it has booked that many intervals. */
function runChild(dir: string, killAfter?: number): Promise<Run> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [runTs, child, dir, String(INTERVALS)], {
      cwd: repoRoot,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    p.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (killAfter !== undefined && p.exitCode === null && out.includes(`settled ${killAfter}\n`))
        p.kill('SIGKILL');
    });
    p.stderr.on('data', (d: Buffer) => (err += d.toString()));
    p.on('error', reject);
    p.on('exit', (code, signal) => {
      if (code !== 0 && signal === null) reject(new Error(`settle-run exited ${code}: ${err}`));
      else resolve({ code, signal, lines: out.trim().split('\n') });
    });
  });
}

function intervalKeys(dir: string): string[] {
  const ledger = Ledger.open(dir, { mustExist: true, readOnly: true });
  try {
    return (
      ledger.connection.prepare("SELECT key FROM entry WHERE kind = 'interval' ORDER BY seq").all() as Array<{
        key: string;
      }>
    ).map((r) => r.key);
  } finally {
    ledger.close();
  }
}

function statements(dir: string): string[] {
  const ledger = Ledger.open(dir, { mustExist: true, readOnly: true });
  try {
    return ['clinic', 'h07', 'community-solar'].flatMap((m) => {
      const s = memberStatement(ledger, m, '2026-06');
      return [JSON.stringify(s), statementHtml(s)];
    });
  } finally {
    ledger.close();
  }
}

describe('settlement across SIGKILL and restart', () => {
  const reference = path.join(tmp, 'reference');
  const crashed = path.join(tmp, 'crashed');

  it('books each interval exactly once and matches an uninterrupted run', async () => {
    const clean = await runChild(reference);
    expect(clean.code).toBe(0);
    expect(JSON.parse(clean.lines.at(-1)!)).toMatchObject({
      settled: INTERVALS,
      alreadySettled: 0,
      alarms: 0,
    });

    const killed = await runChild(crashed, 150);
    expect(killed.signal).toBe('SIGKILL');
    const afterKill = intervalKeys(crashed);
    expect(afterKill.length).toBeGreaterThanOrEqual(150);
    expect(afterKill.length).toBeLessThan(INTERVALS);
    const interrupted = Ledger.open(crashed, { mustExist: true, readOnly: true });
    const midway = interrupted.verify();
    interrupted.close();
    expect(midway.ok).toBe(true);

    const resumed = await runChild(crashed);
    expect(resumed.code).toBe(0);
    const summary = JSON.parse(resumed.lines.at(-1)!) as {
      settled: number;
      alreadySettled: number;
      differing: number;
    };
    expect(summary.alreadySettled).toBe(afterKill.length);
    expect(summary.settled).toBe(INTERVALS - afterKill.length);
    expect(summary.differing).toBe(0);

    const keys = intervalKeys(crashed);
    expect(keys).toHaveLength(INTERVALS);
    expect(new Set(keys).size).toBe(INTERVALS);
    expect(keys).toEqual(intervalKeys(reference));
    expect(statements(crashed)).toEqual(statements(reference));

    const a = Ledger.open(reference, { mustExist: true, readOnly: true });
    const b = Ledger.open(crashed, { mustExist: true, readOnly: true });
    const va = a.verify();
    const vb = b.verify();
    a.close();
    b.close();
    expect(vb.ok && va.ok && vb.headHash === va.headHash).toBe(true);

    const again = await runChild(crashed);
    expect(JSON.parse(again.lines.at(-1)!)).toMatchObject({ settled: 0, alreadySettled: INTERVALS });
  });
});

describe('re-settling an interval', () => {
  it('never bills twice, and books a corrected reading as an explicit adjustment', () => {
    const dir = path.join(tmp, 'adjust');
    const site = demoSite();
    const ledger = Ledger.open(dir);
    const settler = new IntervalSettler(ledger, site);
    const intervals = [
      ...physicsIntervals(site, {
        startMs: Date.parse('2026-06-10T10:00:00Z'),
        intervals: 8,
        stepSeconds: 30,
      }),
    ];
    for (const e of intervals) settler.settle(e, { bookedMs: e.startMs + 15 * 60_000 });
    const before = ledger.count();

    // The same interval again, with the same or with different energies: nothing is booked.
    const target = intervals[2]!;
    expect(settler.settle(target, { bookedMs: Date.now() })).toMatchObject({
      status: 'already-settled',
      energiesDiffer: false,
    });
    const corrected = structuredClone(target);
    const h05 = corrected.members.find((m) => m.member === 'h05')!;
    h05.importKWh += 0.8;
    expect(settler.settle(corrected, { bookedMs: Date.now() })).toMatchObject({
      status: 'already-settled',
      energiesDiffer: true,
    });
    expect(ledger.count()).toBe(before);

    // The manager re-settles with the corrected reading: one adjustment entry with the difference.
    const adjusted = settler.resettle(corrected, {
      reason: 'h05 meter read late',
      bookedMs: Date.parse('2026-06-11T09:00:00Z'),
    });
    expect(adjusted.status).toBe('adjusted');
    expect(ledger.count()).toBe(before + 1);
    const d = adjusted.delta.find((l) => l.member === 'h05')!;
    expect(d.importKWh).toBeCloseTo(0.8, 6);
    expect(d.netCost).toBeGreaterThan(0);
    expect(Math.abs(adjusted.settlement.money.conservationError)).toBeLessThan(1e-6);
    // The original is untouched and still in the chain.
    const original = ledger.byKey(`interval:${target.startMs}`)!;
    expect(original.seq).toBeLessThan(adjusted.seq!);
    expect(ledger.verify().ok).toBe(true);

    // Asking again for the same correction books nothing more.
    expect(settler.resettle(corrected, { reason: 'again', bookedMs: Date.now() }).status).toBe(
      'already-adjusted',
    );
    expect(
      settler.resettle(target, { reason: 'back', bookedMs: Date.parse('2026-06-11T10:00:00Z') }).status,
    ).toBe('adjusted');
    expect(ledger.count()).toBe(before + 2);

    // The statement carries both adjustments, and they cancel.
    const s = memberStatement(ledger, 'h05', '2026-06');
    expect(s.adjustments).toHaveLength(2);
    expect(s.money.adjustments).toBeCloseTo(0, 6);
    expect(s.money.total).toBeCloseTo(s.money.billed, 6);
    ledger.close();
  });
});
