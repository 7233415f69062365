// What the controller does when the pool's state of charge becomes unknown because one inverter
// went silent: it raises alarms naming the inverter, sheds and restores nothing by SoC (a shed tier
// stays shed), still sheds on an overload it can see on the inverter that answers, and changes
// nothing while grid-connected. The same runs with the SoC known show each rule would otherwise act.
import { beforeEach, describe, expect, it } from 'vitest';
import type { Measurements } from '../../../../electron/control/measurements.ts';
import { MicrogridController } from '../../../../electron/control/microgrid-controller.ts';
import { demoSite } from '../../../fixtures/demo-site.ts';
import { FakeSite } from '../../../fixtures/fake-site.ts';

const site = demoSite();
const startMs = Date.parse('2026-06-21T12:00:00+01:00');
const SILENT = 'battery-2';

let fake: FakeSite;
let c: MicrogridController;
let blind = false;

/** The measurements as live-measurements makes them while SILENT does not answer. */
function withSilentInverter(m: Measurements): Measurements {
  if (!blind) return m;
  return {
    ...m,
    pool: {
      socFraction: null,
      powerKW: null,
      batteries: m.pool.batteries.map((b) =>
        b.id === SILENT ? { ...b, socFraction: null, powerKW: null, mode: null, available: false } : b,
      ),
    },
  };
}

const run = (seconds: number) => fake.run(seconds, (m) => c.tick(withSilentInverter(m)));
const calls = () => fake.calls.filter((x) => /^(shed|restore) /.test(x));

beforeEach(async () => {
  blind = false;
  fake = new FakeSite(site, startMs);
  c = new MicrogridController({ site, actuators: fake, startMs });
  await c.tick(fake.measure());
});

async function islandWithTier3Shed(): Promise<void> {
  fake.s.gridV = 0;
  fake.s.gridHz = 0;
  await run(2);
  expect(c.currentMode).toBe('islanded');
  const tier3 = c.state().tiers.find((t) => t.tier === 3)!;
  const tier2 = c.state().tiers.find((t) => t.tier === 2)!;
  // Just below tier 3's threshold and above tier 2's, draining: tier 3 (only) goes.
  fake.s.soc = tier3.shedBelowSoC - 0.01;
  expect(fake.s.soc).toBeGreaterThan(tier2.shedBelowSoC);
  fake.s.poolKW = 10;
  await run(1);
  expect(calls()).toEqual(['shed 3']);
}

describe('pool SoC unknown while islanded', () => {
  it('raises alarms naming the silent inverter and keeps the shed tier shed', async () => {
    await islandWithTier3Shed();
    blind = true;
    // The battery that answers is nearly full and nothing drains: with the SoC known, tier 3 would
    // come back once its 600 s dwell is over (the last test shows it does).
    fake.s.soc = 0.96;
    fake.s.poolKW = 0;
    await run(700);
    expect(calls()).toEqual(['shed 3']);
    expect(c.snapshot().shedTiers).toEqual([3]);
    expect(c.currentMode).toBe('islanded');
    const alarms = c.alarms.list().filter((a) => a.clearedMs === null);
    expect(alarms.find((a) => a.code === 'pool-soc')?.message).toMatch(/no SoC from battery-2/);
    expect(alarms.some((a) => a.code === `battery-${SILENT}`)).toBe(true);
    expect(c.state().pool).toMatchObject({ socFraction: null, availableKW: 30 });
    // An operator may still shed by hand, but not restore blind.
    expect(c.check({ kind: 'restore', tier: 3 }).reason).toMatch(/pool SoC unknown/);
    // The silent inverter is not commanded.
    expect(fake.calls.filter((x) => x.startsWith('mode')).length).toBe(1);
  });

  it('still sheds on an overload of the inverter that answers', async () => {
    await islandWithTier3Shed();
    blind = true;
    // FakeSite splits the pool's power over the two inverters: battery-1 carries 59 / 2 = 29.5 kW,
    // above 0.95 × its 30 kW rating = 28.5 kW. Tier 2 is the highest tier not yet shed.
    fake.s.poolKW = 59;
    await run(1);
    expect(calls()).toEqual(['shed 3', 'shed 2']);
    expect(c.eventLog().at(-1)?.message).toMatch(/pool overloaded: 29\.5 kW of 30 kW available/);
  });

  it('restores the tier once the SoC is known again', async () => {
    await islandWithTier3Shed();
    blind = true;
    fake.s.soc = 0.96;
    fake.s.poolKW = 0;
    await run(700);
    expect(calls()).toEqual(['shed 3']);
    blind = false;
    await run(2);
    expect(calls()).toEqual(['shed 3', 'restore 3']);
    expect(c.alarms.isActive('pool-soc')).toBe(false);
  });
});

describe('pool SoC unknown while grid-connected', () => {
  it('does nothing new, raises the alarm and refuses to island', async () => {
    blind = true;
    await run(60);
    expect(c.currentMode).toBe('grid-connected');
    expect(fake.calls).toEqual([]);
    expect(c.alarms.isActive('pool-soc')).toBe(true);
    const island = c.check({ kind: 'island' });
    expect(island.ok).toBe(false);
    expect(island.reason).toMatch(/pool SoC unknown/);
  });
});
