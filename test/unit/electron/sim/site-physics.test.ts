import { describe, expect, it } from 'vitest';
import { SitePhysics, SOC_MIN } from '../../../../electron/sim/site-physics.ts';
import { clearSkyGhi, solarElevationDeg } from '../../../../electron/sim/sun.ts';
import { demoSite } from '../../../fixtures/demo-site.ts';

const site = demoSite();
const noonLisbon = Date.parse('2026-06-21T12:30:00Z');
const midnightLisbon = Date.parse('2026-06-21T23:30:00Z');

describe('sun', () => {
  it('is high at noon in summer and below the horizon at midnight', () => {
    expect(solarElevationDeg(noonLisbon, 37.95, -8.25)).toBeGreaterThan(70);
    expect(solarElevationDeg(midnightLisbon, 37.95, -8.25)).toBeLessThan(0);
    expect(clearSkyGhi(-5)).toBe(0);
    expect(clearSkyGhi(75)).toBeGreaterThan(900);
  });
});

describe('site physics', () => {
  it('balances power: PCC = member net load − battery', () => {
    const physics = new SitePhysics(site, noonLisbon);
    for (let i = 0; i < 60; i++) physics.step(1);
    const s = physics.state;
    const net = [...s.members.values()].reduce((sum, m) => sum + m.netKW, 0);
    const battery = [...s.batteries.values()].reduce((sum, b) => sum + b.powerKW, 0);
    expect(s.pccPowerKW).toBeCloseTo(net - battery, 9);
    // The PCC branch flows add up to the PCC exchange.
    const feederSum = site.topology.branches
      .filter((b) => b.from === 'pcc')
      .reduce((sum, b) => sum + (s.branchFlowKW.get(b.id) ?? 0), 0);
    expect(feederSum).toBeCloseTo(s.pccPowerKW, 6);
  });

  it('produces PV by day and none by night, with less under cloud', () => {
    const pv = (timeMs: number, weather: 'clear' | 'cloudy') => {
      const p = new SitePhysics(site, timeMs, { weather });
      return [...p.state.members.values()].reduce((sum, m) => sum + m.pvKW, 0);
    };
    expect(pv(noonLisbon, 'clear')).toBeGreaterThan(50);
    expect(pv(noonLisbon, 'cloudy')).toBeLessThan(pv(noonLisbon, 'clear') * 0.7);
    expect(pv(midnightLisbon, 'clear')).toBe(0);
  });

  it('counts energy at the meters as power integrated over time', () => {
    const physics = new SitePhysics(site, midnightLisbon);
    const clinic = physics.state.members.get('clinic');
    const before = clinic?.importWh ?? 0;
    let expectedWh = 0;
    for (let i = 0; i < 3600; i++) {
      physics.step(1);
      expectedWh += (clinic?.netKW ?? 0) * (1000 / 3600);
    }
    expect((clinic?.importWh ?? 0) - before).toBeCloseTo(expectedWh, 6);
    expect(expectedWh).toBeGreaterThan(300);
  });

  it('never discharges the battery below its minimum, and islands go dark without a forming source', () => {
    const physics = new SitePhysics(site, midnightLisbon, { initialSoC: SOC_MIN + 0.001 });
    physics.setBreaker(false);
    for (const b of physics.state.batteries.values()) b.mode = 'grid-forming';
    for (let i = 0; i < 600; i++) physics.step(1);
    for (const b of physics.state.batteries.values())
      expect(b.socFraction).toBeGreaterThanOrEqual(SOC_MIN - 0.001);
    expect(physics.state.blackout).toBe(true);
    expect([...physics.state.unservedWh.values()].reduce((a, b) => a + b, 0)).toBeGreaterThan(0);
  });

  it('loses the grid with the breaker closed as a dead bus (no unintended island)', () => {
    const physics = new SitePhysics(site, noonLisbon);
    physics.setGridAvailable(false);
    physics.step(1);
    expect(physics.state.blackout).toBe(true);
    expect(physics.state.pccPowerKW).toBe(0);
  });
});
