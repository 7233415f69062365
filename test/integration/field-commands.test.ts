// The command path against the simulated village over Modbus/TCP: each command is validated,
// interlocked, written, read back and audited in the console's audit trail (SQLite), and the physics does what was asked.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuditStore } from '../../electron/audit/audit-store.ts';
import { verifyAuditChain } from '../../electron/platform/audit-trail.ts';
import { CommandPath } from '../../electron/field/command-path.ts';
import { Poller } from '../../electron/field/poller.ts';
import { SiteSimulator } from '../../electron/sim/site-simulator.ts';
import type { FieldCommand } from '../../shared/api/field-api.ts';
import { demoWithShedRelays } from '../fixtures/shed-relay-site.ts';
import { waitFor } from '../fixtures/wait.ts';

const site = demoWithShedRelays();
let sim: SiteSimulator;
let poller: Poller;
let dir: string;
let audit: AuditStore;
let commands: CommandPath;

const run = (command: FieldCommand, user = 'test operator') =>
  commands.execute(command, { user, role: 'technician', transport: 'websocket', peer: '127.0.0.1:1' });

beforeAll(async () => {
  sim = await SiteSimulator.start(site, {
    ephemeralPorts: true,
    realTime: false,
    startMs: Date.parse('2026-06-21T11:00:00Z'),
  });
  sim.step(5);
  poller = new Poller(site, { endpointOf: (d) => sim.endpointOf(d) });
  poller.start();
  await waitFor(() => poller.status().every((d) => d.state === 'online'), 20_000, 'every device online');
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cw-field-cmd-'));
  audit = new AuditStore(dir);
  commands = new CommandPath(site, poller, audit);
});

afterAll(async () => {
  await poller.stop();
  await sim.stop();
  audit.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('battery commands', () => {
  it('sets a discharge setpoint through model 124 and the vendor mode model, read back', async () => {
    const result = await run({ kind: 'battery-setpoint', device: 'battery-1', powerKW: 12 });
    expect(result.reason).toBeNull();
    expect(result.status).toBe('done');
    expect(result.readBack).toMatchObject({
      OutWRte: 40,
      InWRte: 0,
      StorCtl_Mod: 'DiSCHARGE',
      Mod: 'SETPOINT',
    });
    const battery = sim.physics.state.batteries.get('battery-1')!;
    expect(battery.mode).toBe('setpoint');
    expect(battery.setpointKW).toBeCloseTo(12, 6);
    sim.step(1);
    expect(battery.powerKW).toBeCloseTo(12, 6);
  });

  it('sets a charge setpoint', async () => {
    const result = await run({ kind: 'battery-setpoint', device: 'battery-1', powerKW: -7.5 });
    expect(result.status).toBe('done');
    expect(sim.physics.state.batteries.get('battery-1')!.setpointKW).toBeCloseTo(-7.5, 6);
  });

  it('refuses a setpoint outside the inverter rating and writes nothing', async () => {
    const before = sim.physics.state.batteries.get('battery-1')!.setpointKW;
    const result = await run({ kind: 'battery-setpoint', device: 'battery-1', powerKW: 45 });
    expect(result.status).toBe('refused');
    expect(result.reason).toMatch(/45 kW is outside 'battery-1''s range of -30 to 30 kW/);
    expect(sim.physics.state.batteries.get('battery-1')!.setpointKW).toBe(before);
  });

  it('refuses a battery command to a device of another kind, and a malformed command', async () => {
    const wrong = await run({ kind: 'battery-mode', device: 'pcc-meter', mode: 'standby' });
    expect(wrong.status).toBe('refused');
    expect(wrong.reason).toMatch(/'pcc-meter' is a pcc-meter, not a battery-inverter/);
    const bad = await run({ kind: 'battery-mode', device: 'battery-1', mode: 'turbo' } as never);
    expect(bad.status).toBe('refused');
    expect(bad.reason).toMatch(/invalid command: mode/);
  });

  it('returns the battery to self-consumption', async () => {
    const result = await run({ kind: 'battery-mode', device: 'battery-1', mode: 'self-consumption' });
    expect(result.status).toBe('done');
    expect(sim.physics.state.batteries.get('battery-1')!.mode).toBe('self-consumption');
  });
});

describe('PCC breaker and grid-forming interlocks', () => {
  it('refuses grid-forming while the PCC breaker is closed', async () => {
    const result = await run({ kind: 'battery-mode', device: 'battery-2', mode: 'grid-forming' });
    expect(result.status).toBe('refused');
    expect(result.reason).toMatch(/interlock: .*PCC breaker is closed/);
    expect(sim.physics.state.batteries.get('battery-2')!.mode).toBe('self-consumption');
  });

  it('opens the breaker, then allows grid-forming', async () => {
    const open = await run({ kind: 'pcc-breaker', close: false }, 'islanding-controller');
    expect(open.status).toBe('done');
    expect(open.readBack).toEqual({ breakerClosed: 0 });
    expect(sim.physics.state.breakerClosed).toBe(false);
    await waitFor(
      () => poller.status().find((d) => d.id === 'pcc-breaker')?.readings.breakerClosed?.value === 0,
      5000,
      'the poller to see the breaker open',
    );
    for (const id of ['battery-1', 'battery-2']) {
      const form = await run(
        { kind: 'battery-mode', device: id, mode: 'grid-forming' },
        'islanding-controller',
      );
      expect(form.reason).toBeNull();
      expect(sim.physics.state.batteries.get(id)!.mode).toBe('grid-forming');
    }
  });

  it('refuses to close the PCC breaker without a sync check, and closes with a passing one', async () => {
    const refused = await run({ kind: 'pcc-breaker', close: true });
    expect(refused.status).toBe('refused');
    expect(refused.reason).toMatch(/no sync check available/);
    expect(sim.physics.state.breakerClosed).toBe(false);
    commands.setInterlocks({ canClosePcc: () => ({ ok: false, reason: 'phase angle 24° > 10°' }) });
    expect((await run({ kind: 'pcc-breaker', close: true })).reason).toMatch(/phase angle 24°/);
    commands.setInterlocks({ canClosePcc: () => ({ ok: true, reason: 'in sync' }) });
    const closed = await run({ kind: 'pcc-breaker', close: true }, 'islanding-controller');
    expect(closed.status).toBe('done');
    expect(sim.physics.state.breakerClosed).toBe(true);
    for (const id of ['battery-1', 'battery-2'])
      expect((await run({ kind: 'battery-mode', device: id, mode: 'self-consumption' })).status).toBe('done');
  });
});

describe('load shedding and curtailment', () => {
  it('sheds and reconnects one member through its feeder relay behind the gateway', async () => {
    const shed = await run({ kind: 'member-shed', member: 'h07', shed: true });
    expect(shed.status).toBe('done');
    expect(shed.readBack).toEqual({ h07: 1 });
    expect(sim.physics.state.members.get('h07')!.shed).toBe(true);
    expect(sim.physics.state.members.get('h07')!.loadKW).toBe(0);
    expect((await run({ kind: 'member-shed', member: 'h07', shed: false })).status).toBe('done');
    expect(sim.physics.state.members.get('h07')!.shed).toBe(false);
  });

  it('sheds a whole tier across feeders and leaves the other tiers alone', async () => {
    const tier2 = site.members.filter((m) => m.priorityTier === 2).map((m) => m.id);
    const result = await run({ kind: 'tier-shed', tier: 2, shed: true });
    expect(result.status).toBe('done');
    expect(Object.keys(result.readBack).sort()).toEqual([...tier2].sort());
    for (const m of site.members)
      expect(sim.physics.state.members.get(m.id)!.shed).toBe(m.priorityTier === 2);
    expect((await run({ kind: 'tier-shed', tier: 2, shed: false })).status).toBe('done');
    for (const m of site.members) expect(sim.physics.state.members.get(m.id)!.shed).toBe(false);
  });

  it('refuses to shed a member without a relay', async () => {
    const result = await run({ kind: 'member-shed', member: 'nobody', shed: true });
    expect(result.status).toBe('refused');
    expect(result.reason).toMatch(/no member 'nobody'/);
  });

  it('curtails PV through model 123 and lifts the limit', async () => {
    const limit = await run({ kind: 'pv-curtail', device: 'community-pv', limitFraction: 0.5 });
    expect(limit.status).toBe('done');
    expect(limit.readBack).toEqual({ WMaxLimPct: 50, enabled: 'ENABLED' });
    expect(sim.physics.state.pvLimitFraction).toBeCloseTo(0.5, 6);
    const lift = await run({ kind: 'pv-curtail', device: 'community-pv', limitFraction: 1 });
    expect(lift.status).toBe('done');
    expect(sim.physics.state.pvLimitFraction).toBe(1);
  });
});

describe('failures and the audit trail', () => {
  it('reports a write the device refuses as failed, naming the exception', async () => {
    const server = sim.serverFor(site.devices.find((d) => d.id === 'battery-2')!)!;
    server.hook = ({ functionCode }) => (functionCode === 16 ? 4 : undefined);
    try {
      const result = await run({ kind: 'battery-setpoint', device: 'battery-2', powerKW: 5 });
      expect(result.status).toBe('failed');
      expect(result.reason).toMatch(/exception 4 \(server device failure\)/);
    } finally {
      server.hook = undefined;
    }
  });

  it('refuses to command a device that is offline', async () => {
    const device = site.devices.find((d) => d.id === 'community-pv')!;
    const server = sim.serverFor(device)!;
    server.hook = () => 'drop';
    try {
      await waitFor(
        () => poller.status().find((d) => d.id === 'community-pv')?.state === 'offline',
        10_000,
        'community-pv offline',
      );
      const result = await run({ kind: 'pv-curtail', device: 'community-pv', limitFraction: 0.2 });
      expect(result.status).toBe('refused');
      expect(result.reason).toMatch(/'community-pv' is offline .*nothing was written/);
    } finally {
      server.hook = undefined;
    }
    expect(sim.physics.state.pvLimitFraction).toBe(1);
  });

  it('records every command with who, what, when and result', () => {
    const records = audit.list({ action: 'field/command', limit: 1000 });
    expect(new Set(records.map((r) => r.result))).toEqual(new Set(['ok', 'refused', 'failed']));
    const close = records.find((r) => r.what === 'PCC breaker close' && r.result === 'ok');
    expect(close).toMatchObject({ user: 'islanding-controller', role: 'technician', transport: 'websocket' });
    const refusal = records.find((r) => /setpoint/.test(r.what) && r.result === 'refused');
    expect(refusal?.reason).toMatch(/outside/);
    // Newest first, ids persistent and chained.
    expect(records.every((r, i) => i === 0 || r.id < records[i - 1]!.id)).toBe(true);
    expect(verifyAuditChain(audit.all())).toEqual({ ok: true, records: records.length });
  });
});
