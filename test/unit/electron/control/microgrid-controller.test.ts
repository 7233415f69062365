// The state machine driven by hand, one rule at a time: grid loss detection and action, a PCC
// meter that stops answering, planned islanding into the dead band or aborted, resynchronisation
// that waits and never closes on a failed sync check, black start in priority order, PV
// curtailment, and operator commands refused with a reason and audited.
import { beforeEach, describe, expect, it } from 'vitest';
import { MicrogridController } from '../../../../electron/control/microgrid-controller.ts';
import { demoSite } from '../../../fixtures/demo-site.ts';
import { FakeSite } from '../../../fixtures/fake-site.ts';
import type { AuditActor, MemoryAuditTrail } from '../../../../electron/platform/audit-trail.ts';

const site = demoSite();
const startMs = Date.parse('2026-06-21T12:00:00+01:00');

let fake: FakeSite;
let c: MicrogridController;
const run = (seconds: number) => fake.run(seconds, (m) => c.tick(m));
const path = () => c.transitions.map((t) => `${t.from}>${t.to}`);

beforeEach(async () => {
  fake = new FakeSite(site, startMs);
  c = new MicrogridController({ site, actuators: fake, startMs });
  await c.tick(fake.measure());
});

async function loseGrid(): Promise<number> {
  const lostMs = fake.s.timeMs;
  fake.s.gridV = 0;
  fake.s.gridHz = 0;
  await run(2);
  return lostMs;
}

describe('grid loss', () => {
  it('opens the breaker, forms the island and raises an alarm within 2 s', async () => {
    expect(c.currentMode).toBe('grid-connected');
    const lostMs = await loseGrid();
    expect(path()).toEqual(['grid-connected>unplanned-islanding', 'unplanned-islanding>islanded']);
    for (const t of c.transitions) expect(t.atMs - lostMs).toBeLessThanOrEqual(2000);
    expect(fake.calls.slice(0, 2)).toEqual(['open', 'mode grid-forming']);
    expect(c.alarms.isActive('grid-lost')).toBe(true);
    expect(c.transitions[0]!.reason).toMatch(/PCC voltage 0 V is below 85 %/);
  });

  it('counts a silent PCC meter as unknown, not as loss', async () => {
    fake.s.meterUp = false;
    await run(30);
    expect(c.currentMode).toBe('grid-connected');
    expect(fake.calls).not.toContain('open');
    expect(c.state().pcc?.gridStatus).toBe('unknown');
    expect(c.alarms.isActive('pcc-meter')).toBe(true);
    // The breaker's own trip flag still counts, meter or no meter.
    fake.s.breakerTripped = true;
    fake.s.breakerClosed = false;
    await run(2);
    expect(path()[0]).toBe('grid-connected>unplanned-islanding');
    expect(c.transitions[0]!.reason).toMatch(/tripped/);
  });

  it('islands on a grid out of frequency limits as on a dead one', async () => {
    fake.s.gridHz = 48.5;
    await run(2);
    expect(c.currentMode).toBe('islanded');
    expect(c.transitions[0]!.reason).toMatch(/48\.50 Hz is outside 50 ± 1 Hz/);
  });

  it('goes dark rather than energise a dead grid when the breaker will not open', async () => {
    fake.s.breakerStuck = true;
    await loseGrid();
    await run(5);
    expect(path()).toEqual(['grid-connected>unplanned-islanding', 'unplanned-islanding>blackout']);
    expect(fake.s.mode).toBe('standby');
    expect(c.alarms.isActive('breaker-stuck')).toBe(true);
  });
});

describe('planned islanding', () => {
  it('opens the breaker once the PCC has settled inside the dead band', async () => {
    fake.s.pccKW = 1.5;
    const outcome = await c.command({ kind: 'island' }, { actor: operator('ana') });
    expect(outcome).toMatchObject({ ok: true, done: true });
    await run(5);
    expect(path()).toEqual(['grid-connected>planned-islanding', 'planned-islanding>islanded']);
    expect(c.pccOpenings.map((o) => o.powerKW)).toEqual([1.5]);
    expect(fake.calls).toContain('mode grid-forming');
  });

  it('aborts with the reason when the dead band is not reached in time, leaving the breaker closed', async () => {
    fake.s.pccKW = 20;
    await c.command({ kind: 'island' });
    await run(59);
    expect(c.currentMode).toBe('planned-islanding');
    await run(2);
    expect(path()).toEqual(['grid-connected>planned-islanding', 'planned-islanding>grid-connected']);
    expect(c.transitions[1]!.reason).toMatch(/PCC stayed at 20\.0 kW, outside ±2 kW, for 60 s/);
    expect(fake.calls).not.toContain('open');
    expect(fake.s.mode).toBe('self-consumption');
    expect(c.alarms.isActive('planned-islanding')).toBe(true);
  });

  it('schedules an islanding for later and runs it then', async () => {
    fake.s.pccKW = 0.5;
    await c.command({ kind: 'island', atMs: startMs + 60_000 }, { actor: operator('ana') });
    expect(c.state().schedule).toHaveLength(1);
    await run(30);
    expect(c.currentMode).toBe('grid-connected');
    await run(40);
    expect(c.currentMode).toBe('islanded');
    // Oldest first: the operator's command, then the console running it on their behalf.
    expect(auditOf(c).map((a) => [a.user, a.transport, a.peer, a.what])).toEqual([
      ['ana', 'websocket', 'test', `island at ${new Date(startMs + 60_000).toISOString()}`],
      ['ana', 'system', 'schedule', 'scheduled: island'],
    ]);
  });
});

describe('resynchronisation', () => {
  beforeEach(async () => {
    await loseGrid();
    fake.s.gridV = 232;
    fake.s.gridHz = 50.02;
    fake.s.phaseDeg = 90;
  });

  it('waits for five stable minutes and never closes while the phases are apart', async () => {
    const backMs = fake.s.timeMs;
    await run(420);
    expect(c.currentMode).toBe('resynchronising');
    expect(fake.calls).not.toContain('close');
    expect(c.state().syncCheck).toMatchObject({ ok: false });
    expect(c.state().syncCheck?.reason).toMatch(/phase difference 90° > 20°/);
    fake.s.phaseDeg = 4;
    await run(2);
    expect(fake.calls.filter((x) => x === 'close')).toHaveLength(1);
    expect(c.currentMode).toBe('grid-connected');
    const close = c.transitions.find((t) => t.to === 'reconnecting')!;
    expect(close.atMs - backMs).toBeGreaterThanOrEqual(300_000);
    expect(c.alarms.isActive('grid-lost')).toBe(false);
  });

  it('closes 300 s after the grid is back and in phase, not before', async () => {
    fake.s.phaseDeg = 3;
    const backMs = fake.s.timeMs;
    await run(299);
    expect(fake.calls).not.toContain('close');
    await run(3);
    const close = c.transitions.find((t) => t.to === 'reconnecting')!;
    expect((close.atMs - backMs) / 1000).toBeGreaterThanOrEqual(300);
    expect((close.atMs - backMs) / 1000).toBeLessThanOrEqual(302);
  });

  it('does not count a grid outside 49.9–50.1 Hz or 95–110 % voltage as stable', async () => {
    fake.s.phaseDeg = 0;
    fake.s.gridHz = 50.15;
    await run(400);
    expect(c.state().pcc?.gridStableForS).toBeNull();
    fake.s.gridHz = 50;
    fake.s.gridV = 0.94 * 230;
    await run(400);
    expect(c.state().pcc?.gridStableForS).toBeNull();
    expect(fake.calls).not.toContain('close');
    fake.s.gridV = 230;
    await run(302);
    expect(c.currentMode).toBe('grid-connected');
  });

  it('goes back to islanded when the grid drops again during the wait', async () => {
    await run(100);
    fake.s.gridV = 0;
    fake.s.gridHz = 0;
    await run(2);
    expect(path().slice(-2)).toEqual(['islanded>resynchronising', 'resynchronising>islanded']);
  });
});

describe('islanded dispatch', () => {
  it('curtails PV when the pool is full and frees it once the pool has room', async () => {
    await loseGrid();
    fake.s.soc = 0.96;
    fake.s.pvKW = 30;
    fake.s.poolKW = -20;
    await run(1);
    expect(fake.calls).toContain('pv 0.33');
    fake.s.soc = 0.85;
    await run(1);
    expect(fake.calls.at(-1)).toBe('pv 1.00');
  });

  it('black-starts from the pool after a blackout, one tier at a time, essential loads first', async () => {
    await loseGrid();
    for (const id of fake.batteries) fake.s.tripped.add(id);
    await run(2);
    expect(c.currentMode).toBe('blackout');
    expect(c.snapshot().shedTiers).toEqual([0, 2, 3]);
    const refused = await c.command({ kind: 'restore', tier: 0 });
    expect(refused.ok).toBe(false);
    expect(refused.reason).toMatch(/black start sequence restores the tiers in order/);
    fake.s.tripped.clear();
    fake.s.mode = 'standby';
    fake.s.soc = 0.8;
    await run(60);
    expect(path().slice(-2)).toEqual(['blackout>black-start', 'black-start>islanded']);
    const restores = c.eventLog().filter((e) => e.kind === 'restore');
    expect(restores.map((e) => e.message.slice(0, 6))).toEqual(['tier 0', 'tier 2', 'tier 3']);
    for (let i = 1; i < restores.length; i++)
      expect(restores[i]!.atMs - restores[i - 1]!.atMs).toBeGreaterThanOrEqual(
        c.config.blackStart.stepSeconds * 1000,
      );
  });
});

describe('operator commands', () => {
  it('refuses unsafe commands with the reason, and audits refusals as well as acceptances', async () => {
    await loseGrid();
    const standby = await c.command(
      { kind: 'battery-mode', mode: 'standby' },
      { actor: { ...operator('rui'), transport: 'cli' } },
    );
    expect(standby.ok).toBe(false);
    expect(standby.reason).toMatch(/would black the island out/);
    const island = await c.command({ kind: 'island' });
    expect(island.reason).toMatch(/not grid-connected \(islanded\)/);
    const unknown = await c.command({ kind: 'shed', tier: 7 });
    expect(unknown.reason).toMatch(/no tier 7 with loads \(tiers: 0, 2, 3\)/);
    const reconnect = await c.command({ kind: 'reconnect' });
    expect(reconnect.reason).toMatch(/no usable grid at the PCC/);
    const shed = await c.command({ kind: 'shed', tier: 3 }, { actor: operator('rui') });
    expect(shed).toMatchObject({ ok: true, done: true });
    expect(fake.calls.at(-1)).toBe('shed 3');
    const audit = auditOf(c);
    expect(audit.map((a) => a.result)).toEqual(['refused', 'refused', 'refused', 'refused', 'ok']);
    expect(audit[0]).toMatchObject({
      user: 'rui',
      role: 'operator',
      transport: 'cli',
      action: 'control/command',
      what: 'battery pool to standby',
    });
    expect(audit[0]!.reason).toBe(standby.reason);
    // Without a session the console itself is the actor.
    expect(audit[1]).toMatchObject({ user: null, transport: 'system' });
  });

  it('keeps a tier shed by hand shed until restored by hand', async () => {
    await c.command({ kind: 'shed', tier: 2 });
    await run(60);
    expect(c.snapshot().shedTiers).toEqual([2]);
    expect(c.state().tiers.find((t) => t.tier === 2)).toMatchObject({ shed: true, manual: true });
    await c.command({ kind: 'restore', tier: 2 });
    expect(c.snapshot().shedTiers).toEqual([]);
  });

  it('checks without acting', () => {
    const check = c.check({ kind: 'island' });
    expect(check.ok).toBe(true);
    expect(check.summary).toMatch(/±2 kW/);
    expect(fake.calls).toEqual([]);
    expect(auditOf(c)).toEqual([]);
  });

  it('refuses grid commands on an off-grid site', async () => {
    const offGrid = { ...site, grid: { kind: 'off-grid' as const } };
    const f = new FakeSite(offGrid, startMs);
    f.s.breakerClosed = false;
    f.s.mode = 'grid-forming';
    const og = new MicrogridController({ site: offGrid, actuators: f, startMs });
    await og.tick(f.measure());
    expect(og.currentMode).toBe('off-grid');
    expect((await og.command({ kind: 'island' })).reason).toMatch(/off-grid/);
    expect((await og.command({ kind: 'reconnect' })).reason).toMatch(/off-grid/);
    expect(og.canClosePcc().ok).toBe(false);
  });
});

function operator(user: string): AuditActor {
  return { user, role: 'operator', transport: 'websocket', peer: 'test' };
}

function auditOf(controller: MicrogridController) {
  return (controller.audit as MemoryAuditTrail).records;
}
