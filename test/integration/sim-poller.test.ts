// The simulator and the poller over real Modbus/TCP on loopback, with samples into SQLite.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Poller, type DeviceCycle } from '../../electron/field/poller.ts';
import { SiteStateBuilder } from '../../electron/live/site-state.ts';
import { openHistorianDb } from '../../electron/historian/database.ts';
import { recentSamples, SampleWriter } from '../../electron/historian/sample-writer.ts';
import { SiteSimulator } from '../../electron/sim/site-simulator.ts';
import { quantityUnits } from '../../shared/api/live.ts';
import { demoSite } from '../fixtures/demo-site.ts';
import { waitFor } from '../fixtures/wait.ts';

const site = demoSite();
let sim: SiteSimulator;
let poller: Poller;
const cycles: DeviceCycle[] = [];

beforeAll(async () => {
  // Fixed time and no real-time stepping: the registers hold still while we compare.
  sim = await SiteSimulator.start(site, {
    ephemeralPorts: true,
    realTime: false,
    startMs: Date.parse('2026-06-21T11:00:00Z'),
  });
  sim.step(30);
  poller = new Poller(site, { endpointOf: (d) => sim.endpointOf(d) });
  poller.onCycle((c) => cycles.push(c));
  poller.start();
  await waitFor(() => poller.status().every((d) => d.state === 'online'), 15_000, 'every device online');
});

afterAll(async () => {
  await poller.stop();
  await sim.stop();
});

describe('simulator + poller over Modbus/TCP', () => {
  it('reads every device of the demo village, gateways included', () => {
    const status = poller.status();
    expect(status).toHaveLength(site.devices.length);
    expect(status.filter((d) => d.state === 'online')).toHaveLength(site.devices.length);
  });

  it('reads the values the physics holds (to register precision)', () => {
    const s = sim.physics.state;
    const byId = new Map(poller.status().map((d) => [d.id, d]));
    expect(byId.get('pcc-meter')?.readings.powerKW?.value).toBeCloseTo(s.pccPowerKW, 2);
    expect(byId.get('pcc-meter')?.readings.frequencyHz?.value).toBeCloseTo(s.gridFrequencyHz, 3);
    for (const member of site.members.filter((m) => m.category !== 'community')) {
      // Member meters report W with scale factor 0: 1 W resolution.
      expect(byId.get(member.meter)?.readings.powerKW?.value).toBeCloseTo(
        s.members.get(member.id)?.netKW ?? NaN,
        2,
      );
    }
    expect(byId.get('battery-1')?.readings.socFraction?.value).toBeCloseTo(
      s.batteries.get('battery-1')?.socFraction ?? NaN,
      3,
    );
    expect(byId.get('pcc-breaker')?.readings.breakerClosed?.value).toBe(1);
  });

  it('builds a live snapshot whose feeder flows add up to the PCC exchange', () => {
    const snapshot = new SiteStateBuilder(site).build(poller.status(), Date.now());
    const feeders = site.topology.branches.filter((b) => b.from === site.topology.root);
    const sum = feeders.reduce((acc, f) => acc + (snapshot.branches[f.id]?.value ?? 0), 0);
    // Feeder meters read with 10 W resolution when flows are large.
    expect(sum).toBeCloseTo(snapshot.pcc?.powerKW.value ?? NaN, 0);
    expect(feeders.every((f) => snapshot.branches[f.id]?.measured)).toBe(true);
    expect(snapshot.totals.devicesOnline).toBe(site.devices.length);
    // Every device answers: every sum is whole and the pool's SoC is known.
    for (const sum of [snapshot.totals.pv, snapshot.totals.load, snapshot.totals.battery])
      expect(sum).toMatchObject({ complete: true, missing: [] });
    expect(snapshot.totals.socFraction).not.toBeNull();
  });

  it('makes a silent inverter unknown: no SoC for the pool, partial sums that say so', async () => {
    const device = site.devices.find((d) => d.id === 'battery-2')!;
    const server = sim.serverFor(device)!;
    server.hook = () => 'drop';
    try {
      await waitFor(
        () => poller.status().find((d) => d.id === 'battery-2')?.state === 'offline',
        10_000,
        'battery-2 offline',
      );
      const snapshot = new SiteStateBuilder(site).build(poller.status(), Date.now());
      expect(snapshot.totals.socFraction).toBeNull();
      expect(snapshot.totals.socMissing).toEqual(['battery-2']);
      expect(snapshot.totals.battery.complete).toBe(false);
      expect(snapshot.totals.battery.missing).toEqual(['battery-2']);
      // What is known is still summed, and only that: battery-1's power alone.
      expect(snapshot.totals.battery.valueKW).toBe(snapshot.batteries['battery-1']?.powerKW.value);
      expect(snapshot.batteries['battery-2']?.socFraction).toMatchObject({ value: null, quality: 'bad' });
      expect(snapshot.totals.devicesOnline).toBe(site.devices.length - 1);
    } finally {
      server.hook = undefined;
    }
    await waitFor(
      () => poller.status().find((d) => d.id === 'battery-2')?.state === 'online',
      15_000,
      'battery-2 back online',
    );
  });

  it('follows the physics as it moves', async () => {
    const before = poller.status().find((d) => d.id === 'pcc-meter')?.readings.powerKW?.timeMs ?? 0;
    sim.step(600);
    await waitFor(
      () => (poller.status().find((d) => d.id === 'pcc-meter')?.readings.powerKW?.timeMs ?? 0) > before + 1,
      5000,
      'a new PCC reading',
    );
    await new Promise((r) => setTimeout(r, 1100));
    expect(poller.status().find((d) => d.id === 'pcc-meter')?.readings.powerKW?.value).toBeCloseTo(
      sim.physics.state.pccPowerKW,
      2,
    );
  });

  it('writes the cycles into SQLite in one transaction per flush', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cw-hist-'));
    const db = openHistorianDb(dir);
    const writer = new SampleWriter(db);
    for (const c of cycles)
      for (const v of c.values)
        writer.add({
          device: c.device,
          quantity: v.quantity,
          unit: quantityUnits[v.quantity],
          timeMs: c.timeMs,
          value: v.value,
          quality: 'good',
        });
    const n = writer.flush();
    expect(n).toBeGreaterThan(site.devices.length);
    const pcc = recentSamples(db, 'pcc-meter', 'powerKW', 0);
    expect(pcc.length).toBe(cycles.filter((c) => c.device === 'pcc-meter' && c.ok).length);
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    db.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });
});
