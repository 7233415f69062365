// The scenario suite: the example scenarios of resources/scenarios run on the simulator with the
// console's own controller, each checked for its transitions, for essential loads kept while
// the pool holds energy for them, for relays that do not chatter and for unsafe commands refused.
import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadSiteFile } from '../../electron/site/site-file.ts';
import { validateScenario, type Scenario } from '../../electron/sim/scenario.ts';
import { runScenario, type ScenarioResult } from '../../electron/sim/scenario-runner.ts';
import { demoSite } from '../fixtures/demo-site.ts';
import { repoRoot } from '../fixtures/paths.ts';
import type { MemoryAuditTrail } from '../../electron/platform/audit-trail.ts';

const scenarioDir = path.join(repoRoot, 'resources', 'scenarios');
const site = demoSite();

function loadScenario(name: string): Scenario {
  const checked = validateScenario(
    JSON.parse(fs.readFileSync(path.join(scenarioDir, `${name}.json`), 'utf8')),
  );
  if (!checked.ok) throw new Error(`${name}: ${JSON.stringify(checked.problems)}`);
  return checked.value;
}

function path_(result: ScenarioResult): string[] {
  return result.transitions.map((t) => `${t.from}>${t.to}`);
}

/** No relay switches twice within the controller's dwell, except to stop an overload. */
function expectNoChatter(result: ScenarioResult, maxPerDay = 6): void {
  const dwellMs = result.controller.config.shedding.minDwellSeconds * 1000;
  const overloadSheds = result.output.events.filter(
    (e) => e.type === 'shed' && e.message.includes('overload'),
  ).length;
  const days = Math.max(1, (result.physics.state.timeMs - Date.parse(result.output.start)) / 86_400_000);
  for (const [tier, times] of result.relaySwitchMs) {
    expect(times.length, `tier ${tier} switchings`).toBeLessThanOrEqual(Math.ceil(maxPerDay * days));
    let quick = 0;
    for (let i = 1; i < times.length; i++)
      if ((times[i] as number) - (times[i - 1] as number) < dwellMs) quick++;
    expect(quick, `tier ${tier}: switchings closer than the dwell`).toBeLessThanOrEqual(overloadSheds);
  }
}

function expectCommandsAsExpected(result: ScenarioResult): void {
  const commands = result.output.events.filter((e) => e.type === 'command');
  expect(commands.length).toBeGreaterThan(0);
  for (const c of commands) expect(c.unexpected ?? false, c.message).toBe(false);
  expect((result.controller.audit as MemoryAuditTrail).records.length).toBe(commands.length);
}

describe('scenario: grid loss at dusk with low SoC', () => {
  let r: ScenarioResult;
  beforeAll(async () => {
    r = await runScenario({ site, scenario: loadScenario('grid-loss-at-dusk') });
  });

  it('islands within 2 s of the grid loss and reconnects after 5 stable minutes in the morning', () => {
    expect(path_(r)).toEqual([
      'grid-connected>unplanned-islanding',
      'unplanned-islanding>islanded',
      'islanded>resynchronising',
      'resynchronising>reconnecting',
      'reconnecting>grid-connected',
    ]);
    const lossMs = Date.parse('2026-06-21T20:00:00+01:00');
    const [detect, formed, , reconnect] = r.transitions;
    expect(detect!.atMs - lossMs).toBeLessThanOrEqual(2000);
    expect(formed!.atMs - lossMs).toBeLessThanOrEqual(2000);
    expect(reconnect!.atMs - Date.parse('2026-06-22T09:00:00+01:00')).toBeGreaterThanOrEqual(300_000);
  });

  it('sheds households first, keeps the essential loads until the floor, and brings them back with the sun', () => {
    const k = r.output.kpis;
    expect(k.shedKWhByTier['3']).toBeGreaterThan(k.shedKWhByTier['2']!);
    expect(k.shedKWhByTier['2']).toBeGreaterThan(k.shedKWhByTier['0']!);
    const sheds = r.output.events.filter((e) => e.type === 'shed').map((e) => e.message.slice(0, 6));
    expect(sheds).toEqual(['tier 3', 'tier 2', 'tier 0']);
    // Dark only for the second in which the grid went and the island formed.
    expect(k.essentialDarkSecondsWithEnergy).toBeLessThanOrEqual(2);
    expect(k.minSoC).toBeGreaterThan(0.05);
    expect(k.blackoutHours).toBe(0);
    expectNoChatter(r);
  });

  it('refuses unsafe commands while islanded', () => expectCommandsAsExpected(r));
});

describe('scenario: planned islanding at noon with high PV', () => {
  let r: ScenarioResult;
  beforeAll(async () => {
    r = await runScenario({ site, scenario: loadScenario('planned-islanding-noon') });
  });

  it('opens the breaker inside the dead band, curtailing PV the full pool cannot take', () => {
    expect(path_(r)).toEqual([
      'grid-connected>planned-islanding',
      'planned-islanding>islanded',
      'islanded>resynchronising',
      'resynchronising>reconnecting',
      'reconnecting>grid-connected',
    ]);
    expect(r.output.kpis.pccPowerKWAtOpen).toHaveLength(1);
    expect(Math.abs(r.output.kpis.pccPowerKWAtOpen[0]!)).toBeLessThanOrEqual(2);
    // Before islanding the site was exporting far more than the pool could take.
    const before = r.output.events.find(
      (e) => e.type === 'transition' && e.message.includes('planned island formed'),
    );
    expect(before).toBeDefined();
    expect(r.output.kpis.essentialUnservedKWh).toBe(0);
    expect(r.physics.state.breakerOperations).toBe(2);
    expectNoChatter(r);
  });

  it('keeps the breaker open while the sync check fails on a drifting inverter, and closes once it is cleared', () => {
    const failures = r.output.events.filter(
      (e) => e.type === 'sync' && e.message.startsWith('sync check failed'),
    );
    expect(failures[0]?.message).toMatch(/frequency difference 0\.\d+ Hz > 0\.3 Hz/);
    expect(
      r.output.events.some((e) => e.type === 'alarm' && e.message.startsWith('Sync check failing')),
    ).toBe(true);
    const close = r.transitions.find((t) => t.to === 'reconnecting')!;
    // The drift is cleared at PT4H20M; the reconnection was asked for at PT4H.
    expect(close.atMs).toBeGreaterThanOrEqual(Date.parse('2026-06-21T15:20:00+01:00'));
    expect(close.reason).toMatch(/in synchronism/);
    expect(r.controller.alarms.isActive('sync-check')).toBe(false);
  });

  it('refuses to drop the forming pool while islanded and accepts the reconnection', () =>
    expectCommandsAsExpected(r));
});

describe('scenario: a flapping grid', () => {
  let r: ScenarioResult;
  beforeAll(async () => {
    r = await runScenario({ site, scenario: loadScenario('flapping-grid') });
  });

  it('stays islanded while the grid flaps and reconnects once, five minutes after it settles', () => {
    const p = path_(r);
    expect(p[0]).toBe('grid-connected>unplanned-islanding');
    expect(p.filter((x) => x === 'resynchronising>islanded')).toHaveLength(2);
    expect(p.filter((x) => x === 'reconnecting>grid-connected')).toHaveLength(1);
    expect(r.physics.state.breakerOperations).toBe(2);
    const close = r.transitions.find((t) => t.to === 'reconnecting')!;
    // The last disturbance (a 0.2 Hz offset) ended at PT48M.
    expect(close.atMs).toBeGreaterThanOrEqual(Date.parse('2026-06-21T10:53:00+01:00'));
    expect(r.output.kpis.essentialDarkSecondsWithEnergy).toBeLessThanOrEqual(2);
    expectNoChatter(r);
  });

  it('refuses to reconnect to a grid out of limits, and to island while resynchronising', () =>
    expectCommandsAsExpected(r));
});

describe('scenario: the PCC breaker fails to open', () => {
  let r: ScenarioResult;
  beforeAll(async () => {
    r = await runScenario({ site, scenario: loadScenario('breaker-fails-to-open') });
  });

  it('aborts the planned islanding, never forms an island onto the dead grid, and black-starts once the breaker opens', () => {
    expect(path_(r)).toEqual([
      'grid-connected>planned-islanding',
      'planned-islanding>grid-connected',
      'grid-connected>unplanned-islanding',
      'unplanned-islanding>blackout',
      'blackout>black-start',
      'black-start>islanded',
      'islanded>resynchronising',
      'resynchronising>reconnecting',
      'reconnecting>grid-connected',
    ]);
    expect(r.transitions[1]!.reason).toMatch(/breaker did not open/);
    // The black start waits for the breaker to be freed (PT1H30M).
    const blackStart = r.transitions.find((t) => t.to === 'black-start')!;
    expect(blackStart.atMs).toBeGreaterThanOrEqual(Date.parse('2026-06-21T15:30:00+01:00'));
    // Dark only while the breaker was stuck closed onto the dead grid (about 30 minutes).
    expect(r.output.kpis.blackoutHours).toBeGreaterThan(0.45);
    expect(r.output.kpis.blackoutHours).toBeLessThan(0.55);
    expectNoChatter(r);
  });

  it('refuses to island again with the breaker stuck, and to reconnect to no grid', () =>
    expectCommandsAsExpected(r));
});

describe('scenario: a battery inverter trips while islanded', () => {
  let r: ScenarioResult;
  beforeAll(async () => {
    r = await runScenario({ site, scenario: loadScenario('inverter-trip-islanded') });
  });

  it('sheds the highest tier to stop the overload, keeps the island up and restores the tier later', () => {
    expect(path_(r)).toEqual([
      'grid-connected>planned-islanding',
      'planned-islanding>islanded',
      'islanded>resynchronising',
      'resynchronising>reconnecting',
      'reconnecting>grid-connected',
    ]);
    expect(r.output.kpis.blackoutHours).toBe(0);
    expect(r.output.kpis.essentialUnservedKWh).toBe(0);
    const sheds = r.output.events.filter((e) => e.type === 'shed');
    expect(sheds[0]?.message).toMatch(/tier 3 shed: pool overloaded/);
    expect(r.output.kpis.shedKWhByTier['3']).toBeGreaterThan(0);
    expect(r.output.kpis.shedKWhByTier['2']).toBe(0);
    expectNoChatter(r);
  });

  it('refuses to restore the shed tier onto one inverter, and to drop the forming pool', () =>
    expectCommandsAsExpected(r));
});

describe('scenario: a three-day cloudy outage', () => {
  let r: ScenarioResult;
  beforeAll(async () => {
    r = await runScenario({ site, scenario: loadScenario('cloudy-outage-three-days') });
  });

  it('rides through three days islanded, essential loads shed only at the floor, without chatter', () => {
    expect(path_(r)).toEqual([
      'grid-connected>unplanned-islanding',
      'unplanned-islanding>islanded',
      'islanded>resynchronising',
      'resynchronising>reconnecting',
      'reconnecting>grid-connected',
    ]);
    const k = r.output.kpis;
    expect(k.islandedHours).toBeGreaterThan(72);
    expect(k.blackoutHours).toBe(0);
    expect(k.essentialDarkSecondsWithEnergy).toBeLessThanOrEqual(2);
    // Households carry most of the shedding; essential loads the least.
    expect(k.shedKWhByTier['3']).toBeGreaterThan(k.shedKWhByTier['2']!);
    expect(k.shedKWhByTier['2']).toBeGreaterThan(k.shedKWhByTier['0']!);
    expect(k.minSoC).toBeGreaterThan(0.05);
    expectNoChatter(r);
  });

  it('refuses to restore households at night below their threshold, and to take the pool off forming', () =>
    expectCommandsAsExpected(r));
});

describe('scenario: black start after a full blackout', () => {
  let r: ScenarioResult;
  beforeAll(async () => {
    r = await runScenario({ site, scenario: loadScenario('black-start') });
  });

  it('goes dark when both inverters trip and black-starts tier by tier, essential loads first', () => {
    expect(path_(r)).toEqual([
      'grid-connected>unplanned-islanding',
      'unplanned-islanding>islanded',
      'islanded>blackout',
      'blackout>black-start',
      'black-start>islanded',
      'islanded>resynchronising',
      'resynchronising>reconnecting',
      'reconnecting>grid-connected',
    ]);
    const resetMs = Date.parse('2026-06-21T20:30:00+01:00');
    const restores = r.output.events
      .filter((e) => e.type === 'restore')
      .map((e) => ({ at: Date.parse(e.at), tier: Number(/tier (\d)/.exec(e.message)![1]) }));
    const order = restores.filter((x) => x.at < resetMs + 3_600_000).map((x) => x.tier);
    expect(order.slice(0, 2)).toEqual([0, 2]);
    expect(order).toContain(3);
    for (let i = 1; i < restores.length; i++)
      expect(restores[i]!.at - restores[i - 1]!.at).toBeGreaterThanOrEqual(10_000);
    // Essential loads were dark only while no inverter could run (30 min) and the first black-start step.
    const darkS = r.output.kpis.essentialDarkSecondsWithEnergy;
    expect(darkS).toBeGreaterThan(1700);
    expect(darkS).toBeLessThan(1830);
    expectNoChatter(r);
  });

  it('refuses to reconnect to no grid and to restore out of the black start order', () =>
    expectCommandsAsExpected(r));
});

describe('scenario: an off-grid village through a week', () => {
  let r: ScenarioResult;
  beforeAll(async () => {
    const scenario = loadScenario('off-grid-week');
    const offGrid = loadSiteFile(path.resolve(scenarioDir, scenario.site ?? ''));
    r = await runScenario({ site: offGrid, scenario });
  });

  it('stays off-grid all week, never dark, shedding households by night and restoring them by day', () => {
    expect(r.output.site).toBe('aldeia-offgrid');
    expect(r.transitions).toEqual([]);
    expect(r.controller.currentMode).toBe('off-grid');
    const k = r.output.kpis;
    expect(k.blackoutHours).toBe(0);
    expect(k.islandedHours).toBeCloseTo(168, 1);
    expect(k.breakerOperations).toBe(0);
    // Two cloudy days run the pool down to the essential floor; the clinic loses power only then.
    expect(k.essentialUnservedWithEnergyKWh).toBe(0);
    expect(k.essentialDarkSecondsWithEnergy).toBe(0);
    expect(k.shedKWhByTier['3']).toBeGreaterThan(k.shedKWhByTier['2']!);
    expect(k.shedKWhByTier['2']).toBeGreaterThan(k.shedKWhByTier['0']!);
    expect(k.minSoC).toBeGreaterThan(0.05);
    // Households come back every sunny day.
    const restores = r.output.events.filter((e) => e.type === 'restore' && e.message.startsWith('tier 3'));
    expect(restores.length).toBeGreaterThanOrEqual(5);
    expect(r.output.events.some((e) => e.type === 'pv' && e.message.includes('curtailing'))).toBe(true);
    expect(r.controller.modeDuring(Date.parse('2026-06-17T12:00:00+01:00'), 15)).toBe('off-grid');
    expectNoChatter(r, 4);
  });

  it('refuses grid commands and dropping the forming pool, and takes a shed tier by hand', () =>
    expectCommandsAsExpected(r));
});
