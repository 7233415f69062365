// Scenario files: ISO 8601 durations, problems named by their JSON path, and the cross-check
// against the site a scenario runs on.
import { describe, expect, it } from 'vitest';
import {
  commandOf,
  parseDurationMs,
  scenarioSiteProblems,
  validateScenario,
} from '../../../../electron/sim/scenario.ts';
import { demoSite } from '../../../fixtures/demo-site.ts';

const site = demoSite();
const base = { start: '2026-06-21T18:00:00+01:00', durationHours: 6 };

describe('scenario files', () => {
  it('reads ISO 8601 durations of days, hours, minutes and seconds', () => {
    expect(parseDurationMs('PT6H')).toBe(6 * 3_600_000);
    expect(parseDurationMs('P1DT30M')).toBe(86_400_000 + 30 * 60_000);
    expect(parseDurationMs('PT1.5S')).toBe(1500);
    expect(parseDurationMs('P')).toBeNull();
    expect(parseDurationMs('PT')).toBeNull();
    expect(parseDurationMs('6h')).toBeNull();
  });

  it('fills defaults and names each problem by its path', () => {
    const ok = validateScenario({ ...base, events: [{ at: 'PT1H', type: 'grid-loss' }] });
    expect(ok.ok && ok.value).toMatchObject({ initialSoC: 0.6, weather: 'clear', stepSeconds: 1 });
    expect(ok.ok && ok.value.events[0]).toMatchObject({ kind: 'outage' });
    const bad = validateScenario({
      ...base,
      initialSoC: 1.5,
      events: [
        { at: 'PT7H', type: 'grid-loss' },
        { at: 'soon', type: 'grid-restore' },
        { at: 'PT1H', type: 'command', command: 'shed' },
      ],
    });
    expect(bad.ok).toBe(false);
    const paths = bad.ok ? [] : bad.problems.map((p) => p.path);
    expect(paths).toEqual(expect.arrayContaining(['initialSoC', 'events[1].at', 'events[2].tier']));
    const late = validateScenario({ ...base, events: [{ at: 'PT7H', type: 'grid-loss' }] });
    expect(late.ok ? '' : late.problems[0]?.message).toMatch(/after the end of the scenario \(6 h\)/);
  });

  it('checks the devices and tiers a scenario names against the site', () => {
    const checked = validateScenario({
      ...base,
      events: [
        { at: 'PT1H', type: 'device-fault', device: 'battery-9', fault: 'trip' },
        { at: 'PT1H', type: 'device-fault', device: 'pcc-meter', fault: 'trip' },
        { at: 'PT1H', type: 'device-fault', device: 'relay-tier-3', fault: 'offline' },
        { at: 'PT1H', type: 'command', command: 'restore', tier: 5 },
      ],
    });
    if (!checked.ok) throw new Error(JSON.stringify(checked.problems));
    const problems = scenarioSiteProblems(checked.value, site);
    expect(problems.map((p) => p.path)).toEqual(['events[0].device', 'events[1].fault', 'events[3].tier']);
    expect(problems[1]?.message).toMatch(
      /'trip' applies to a battery-inverter, and 'pcc-meter' is a pcc-meter/,
    );
  });

  it('turns command events into operator commands', () => {
    const atMs = Date.parse(base.start);
    const checked = validateScenario({
      ...base,
      events: [
        { at: 'PT1H', type: 'command', command: 'island', inMinutes: 30 },
        { at: 'PT1H', type: 'command', command: 'battery-mode', mode: 'setpoint', setpointKW: -5 },
      ],
    });
    if (!checked.ok) throw new Error(JSON.stringify(checked.problems));
    const [island, mode] = checked.value.events;
    expect(island?.type === 'command' && commandOf(island, atMs)).toEqual({
      kind: 'island',
      atMs: atMs + 30 * 60_000,
    });
    expect(mode?.type === 'command' && commandOf(mode, atMs)).toEqual({
      kind: 'battery-mode',
      mode: 'setpoint',
      setpointKW: -5,
    });
  });
});
