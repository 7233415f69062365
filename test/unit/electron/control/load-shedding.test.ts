// Shedding by SoC, islanded: thresholds in tier order above the essential reserve, essential
// loads last at the floor, hysteresis and a minimum dwell so relays do not chatter, overload
// shedding at once, and restores judged on the forecast load with cold-load pickup.
import { describe, expect, it } from 'vitest';
import { DEFAULT_CONTROL_CONFIG } from '../../../../electron/control/control-config.ts';
import { LoadShedder, type PoolView } from '../../../../electron/control/load-shedding.ts';
import { LoadForecast } from '../../../../electron/control/reserve-sizing.ts';
import { demoSite } from '../../../fixtures/demo-site.ts';

const site = demoSite();
const config = DEFAULT_CONTROL_CONFIG.shedding;
const t0 = Date.parse('2026-06-21T21:00:00+01:00');
const reserveSoC = 0.15;

function shedder(): LoadShedder {
  return new LoadShedder(site, config, new LoadForecast(site));
}

function view(soc: number, atS: number, poolKW = 10): PoolView {
  return { timeMs: t0 + atS * 1000, socFraction: soc, poolKW, availableKW: 60, reserveSoC };
}

/** Applies the decisions as the controller would and returns them as "shed 3" / "restore 3". */
function step(s: LoadShedder, v: PoolView): string[] {
  const out = s.decide(v);
  for (const d of out) s.record(d.tier, d.shed, v.timeMs, false, d.overload ?? false);
  return out.map((d) => `${d.shed ? 'shed' : 'restore'} ${d.tier}`);
}

describe('load shedding', () => {
  it('orders thresholds: highest tier first, essential loads last at the floor', () => {
    const s = shedder();
    expect(s.tierNumbers).toEqual([0, 2, 3]);
    const t3 = s.thresholds(3, reserveSoC);
    const t2 = s.thresholds(2, reserveSoC);
    const t0_ = s.thresholds(0, reserveSoC);
    expect(t3.shedBelow).toBeGreaterThan(t2.shedBelow);
    expect(t2.shedBelow).toBeCloseTo(reserveSoC, 9);
    expect(t0_.shedBelow).toBe(config.floorSoC);
    expect(t3.restoreAbove - t3.shedBelow).toBeCloseTo(config.hysteresis, 9);
    expect(t0_.restoreAbove - t0_.shedBelow).toBeCloseTo(config.essentialHysteresis, 9);
  });

  it('sheds tier by tier as the SoC falls, and only while the pool drains', () => {
    const s = shedder();
    expect(step(s, view(0.5, 0))).toEqual([]);
    expect(step(s, view(0.24, 10, -5))).toEqual([]);
    expect(step(s, view(0.24, 20))).toEqual(['shed 3']);
    expect(step(s, view(0.14, 30))).toEqual(['shed 2']);
    expect(step(s, view(0.1, 40))).toEqual([]);
    expect(step(s, view(0.069, 50))).toEqual(['shed 0']);
    expect(s.shedMembers()).toContain('clinic');
  });

  it('does not restore inside the hysteresis band, nor before the dwell is over', () => {
    const s = shedder();
    expect(step(s, view(0.24, 0))).toEqual(['shed 3']);
    const { restoreAbove } = s.thresholds(3, reserveSoC);
    // Above the shed threshold but inside the band: nothing, however long.
    for (let t = 60; t < 3600; t += 60) expect(step(s, view(restoreAbove - 0.01, t, 2))).toEqual([]);
    const s2 = shedder();
    step(s2, view(0.24, 0));
    // Above the band at once: the relay still waits for its dwell.
    expect(step(s2, view(restoreAbove + 0.05, config.minDwellSeconds - 1, 2))).toEqual([]);
    expect(step(s2, view(restoreAbove + 0.05, config.minDwellSeconds, 2))).toEqual(['restore 3']);
  });

  it('restores lowest tier first, one per decision', () => {
    const s = shedder();
    step(s, view(0.24, 0));
    step(s, view(0.14, 1));
    const later = config.minDwellSeconds * 2;
    expect(step(s, view(0.6, later, 0))).toEqual(['restore 2']);
    expect(step(s, view(0.6, later + 1, 0))).toEqual(['restore 3']);
  });

  it('sheds the highest tier at once on an overload, whatever the dwell, and never the essential tier', () => {
    const s = shedder();
    expect(step(s, view(0.8, 0, 58))).toEqual(['shed 3']);
    expect(step(s, view(0.8, 1, 58))).toEqual(['shed 2']);
    expect(step(s, view(0.8, 2, 58))).toEqual([]);
    expect(s.isShed(0)).toBe(false);
  });

  it('refuses a restore the pool could not carry', () => {
    const s = shedder();
    step(s, view(0.24, 0));
    const why = s.restoreRefusal(3, { ...view(0.8, 3600, 48) });
    expect(why).toMatch(/the pool would carry .* kW with tier 3, above 51\.0 kW/);
    expect(s.restoreRefusal(3, view(0.8, 3600, 0))).toBeNull();
  });

  it('counts switchings and keeps a manual shed out of the automatic restores', () => {
    const s = shedder();
    s.record(2, true, t0, true);
    expect(step(s, view(0.9, 7200, 0))).toEqual([]);
    s.release(2);
    expect(step(s, view(0.9, 7201, 0))).toEqual(['restore 2']);
    expect(s.states(view(0.9, 7202), new Map()).find((t) => t.tier === 2)?.switchings).toBe(2);
  });
});
