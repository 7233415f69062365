// Load shedding against figures worked by hand: thresholds, boundaries of the overload and
// draining rules, the restore headroom with cold-load pickup, the overload back-off, grid
// restores spaced apart and black start in order. The site is small on purpose: each tier is one
// school-profile member of 8683.35 kWh a year, which draws exactly its raw hourly weight in kW
// (see reserve-sizing.test.ts): 0.2 kW between 00:00 and 04:00.
import { describe, expect, it } from 'vitest';
import { DEFAULT_CONTROL_CONFIG } from '../../../../electron/control/control-config.ts';
import { LoadShedder, pct, type PoolView } from '../../../../electron/control/load-shedding.ts';
import { LoadForecast } from '../../../../electron/control/reserve-sizing.ts';
import type { Member, SiteFile } from '../../../../shared/site/schema.ts';
import { demoSite } from '../../../fixtures/demo-site.ts';

const demo = demoSite();
const clinic = demo.members.find((m) => m.id === 'clinic')!;
const member = (id: string, tier: number, over: Partial<Member> = {}): Member => ({
  ...clinic,
  id,
  priorityTier: tier,
  profile: 'school',
  annualConsumptionKWh: 8683.35,
  ...over,
});
const site: SiteFile = {
  ...demo,
  // Out of tier order on purpose: the shedder orders tiers itself.
  members: [
    member('house-a', 3),
    member('essential', 0),
    member('no-load', 1, { profile: 'none' }),
    member('shop', 2),
    member('house-b', 3, { annualConsumptionKWh: 0 }),
  ],
};
// Defaults: floor 0.07, essential hysteresis 0.03, spacing 0.1, hysteresis 0.1, dwell 600 s,
// overload 0.95, headroom 0.85, margin 1.3, cold load +0.8 after 600 s, back-off 3 dwells.
const config = DEFAULT_CONTROL_CONFIG.shedding;
const t0 = Date.parse('2026-06-21T02:00:00+01:00'); // school profile flat at 0.2 kW
const reserveSoC = 0.15;
const shedder = () => new LoadShedder(site, config, new LoadForecast(site));
const view = (soc: number | null, atS: number, poolKW: number | null = 10, availableKW = 60): PoolView => ({
  timeMs: t0 + atS * 1000,
  socFraction: soc,
  poolKW,
  availableKW,
  reserveSoC,
});

describe('load shedding: tiers and thresholds', () => {
  it('keeps only tiers with a load, lowest first', () => {
    // Tier 1 has only a member without a profile; house-b has no consumption.
    const s = shedder();
    expect(s.tierNumbers).toEqual([0, 2, 3]);
    expect(s.has(1)).toBe(false);
    expect(s.has(3)).toBe(true);
    expect(s.states(view(0.5, 0), new Map()).find((t) => t.tier === 3)!.members).toEqual(['house-a']);
  });

  it('puts each tier a spacing above the last, from the reserve, with its hysteresis', () => {
    const s = shedder();
    // Tier 2 (rank 0): 0.15 + 0 × 0.1 = 0.15, restore 0.15 + 0.1 = 0.25.
    // Tier 3 (rank 1): 0.15 + 1 × 0.1 = 0.25, restore 0.35. Essential: floor 0.07, restore 0.10.
    expect(s.thresholds(2, reserveSoC).shedBelow).toBeCloseTo(0.15, 12);
    expect(s.thresholds(2, reserveSoC).restoreAbove).toBeCloseTo(0.25, 12);
    expect(s.thresholds(3, reserveSoC).shedBelow).toBeCloseTo(0.25, 12);
    expect(s.thresholds(3, reserveSoC).restoreAbove).toBeCloseTo(0.35, 12);
    expect(s.thresholds(0, reserveSoC)).toEqual({ shedBelow: 0.07, restoreAbove: 0.07 + 0.03 });
    // A tier it does not know gets the floor's thresholds.
    expect(s.thresholds(9, reserveSoC)).toEqual({ shedBelow: 0.07, restoreAbove: 0.07 + 0.03 });
    // Capped: reserve 0.85 puts tier 3 at min(0.9, 0.95) = 0.9, restore min(0.95, 1.0) = 0.95.
    expect(s.thresholds(3, 0.85)).toEqual({ shedBelow: 0.9, restoreAbove: 0.95 });
  });

  it('writes percentages with one decimal', () => {
    expect(pct(0.2449)).toBe('24.5 %');
    expect(pct(1)).toBe('100.0 %');
  });
});

describe('load shedding: decisions', () => {
  it('sheds or restores nothing by SoC when the SoC is unknown', () => {
    const s = shedder();
    expect(s.decide(view(null, 0, 10))).toEqual([]);
    s.record(2, true, t0, false);
    expect(s.decide(view(null, 3600, 0))).toEqual([]);
  });

  it('sheds below a threshold only while the pool drains more than 0.5 kW', () => {
    const s = shedder();
    expect(s.decide(view(0.24, 0, 0.5))).toEqual([]);
    expect(s.decide(view(0.24, 0, 0.51))).toEqual([
      { tier: 3, shed: true, reason: "pool SoC 24.0 % below tier 3's threshold 25.0 %" },
    ]);
    // An unknown pool power counts as draining.
    expect(s.decide(view(0.24, 0, null)).map((d) => d.tier)).toEqual([3]);
    // Exactly at the threshold is not below it.
    expect(s.decide(view(0.25, 0, 5))).toEqual([]);
  });

  it('sheds every tier whose threshold is crossed at once, highest first', () => {
    // 0.06: below 0.25 (tier 3), 0.15 (tier 2) and the 0.07 floor (tier 0).
    expect(
      shedder()
        .decide(view(0.06, 0, 5))
        .map((d) => d.tier),
    ).toEqual([3, 2, 0]);
  });

  it('counts an overload above 95 % of the available power, strictly', () => {
    const s = shedder();
    // 0.95 × 60 = 57 kW: 57 is not an overload, 57.1 is.
    expect(s.decide(view(0.8, 0, 57))).toEqual([]);
    expect(s.decide(view(0.8, 0, 57.1))).toEqual([
      { tier: 3, shed: true, overload: true, reason: 'pool overloaded: 57.1 kW of 60 kW available' },
    ]);
    // No rating known (0 kW available): never an overload.
    expect(s.decide(view(0.8, 0, 57.1, 0))).toEqual([]);
  });

  it('never sheds the essential tier for an overload', () => {
    const s = shedder();
    s.record(3, true, t0, false, true);
    s.record(2, true, t0, false, true);
    expect(s.decide(view(0.8, 1, 59))).toEqual([]);
  });

  it('restores at exactly the restore threshold, and says so', () => {
    const s = shedder();
    s.record(2, true, t0, false);
    // Tier 2 restores at 0.15 + 0.1 = 0.25; at 0.25 the SoC, not the surplus, brings it back.
    expect(s.decide(view(0.25, 600, 0))).toEqual([
      { tier: 2, shed: false, reason: "pool SoC 25.0 % above tier 2's restore threshold 25.0 %" },
    ]);
  });

  it('knows no shed or manual state for a tier it does not have', () => {
    const s = shedder();
    expect(s.isShed(9)).toBe(false);
    expect(s.isManual(9)).toBe(false);
    expect(s.isShed(3)).toBe(false);
  });

  it('restores one tier per decision, lowest first, with the reason', () => {
    const s = shedder();
    s.record(3, true, t0, false);
    s.record(2, true, t0, false);
    // Dwell 600 s over; SoC 0.5 above both restore thresholds (0.25, 0.35); pool idle.
    expect(s.decide(view(0.5, 600, 0))).toEqual([
      { tier: 2, shed: false, reason: "pool SoC 50.0 % above tier 2's restore threshold 25.0 %" },
    ]);
  });

  it('lets the PV surplus bring the essential tier back below its restore threshold', () => {
    const s = shedder();
    s.record(0, true, t0, false);
    // SoC 0.08 < restore 0.10. After 600 s off the tier draws 0.2 × 1.3 × (1 + 0.8) = 0.468 kW.
    // Charging at 0.4 kW does not carry it; at 0.5 kW it does.
    expect(s.restoreRefusal(0, view(0.08, 600, -0.4))).toBe(
      "pool SoC 8.0 % is below tier 0's restore threshold 10.0 %",
    );
    expect(s.restoreRefusal(0, view(0.08, 600, -0.5))).toBeNull();
    expect(s.decide(view(0.08, 600, -0.5))).toEqual([
      { tier: 0, shed: false, reason: 'the PV surplus carries tier 0 (pool charging at 0.5 kW)' },
    ]);
    // A non-essential tier is not carried by the surplus.
    s.record(2, true, t0, false);
    expect(s.restoreRefusal(2, view(0.2, 600, -30))).toMatch(/below tier 2's restore threshold 25\.0 %/);
  });
});

describe('load shedding: restore headroom and cold-load pickup', () => {
  it('adds the cold load in proportion to the time off, up to its full extra', () => {
    // Limit 0.85 × 60 = 51.0 kW. Off 300 s: 0.2 × 1.3 × (1 + 0.8 × 300/600) = 0.364 kW.
    const s = shedder();
    s.record(3, true, t0, false);
    expect(s.restoreRefusal(3, view(0.5, 300, 50.6))).toBeNull(); // 50.964 ≤ 51
    expect(s.restoreRefusal(3, view(0.5, 300, 50.7))).toBe(
      'the pool would carry 51.1 kW with tier 3, above 51.0 kW (85.0 % of 60 kW available)',
    );
    // Off 1200 s: capped at 0.2 × 1.3 × 1.8 = 0.468 kW; 50.5 + 0.468 = 50.968 ≤ 51, 50.6 + 0.468 > 51.
    expect(s.restoreRefusal(3, view(0.5, 1200, 50.5))).toBeNull();
    expect(s.restoreRefusal(3, view(0.5, 1200, 50.6))).toMatch(/would carry 51\.1 kW/);
    // Charging counts as no load on the pool, not as headroom.
    // 0.85 × 0.6 = 0.51 ≥ 0.468; 0.85 × 0.5 = 0.425 < 0.468.
    expect(s.restoreRefusal(3, view(0.5, 1200, -100, 0.6))).toBeNull();
    expect(s.restoreRefusal(3, view(0.5, 1200, -100, 0.5))).toMatch(
      /would carry 0\.5 kW with tier 3, above 0\.4 kW/,
    );
    expect(s.restoreRefusal(7, view(0.5, 0))).toBe('no tier 7');
  });

  it('forecasts a tier from its members, and nothing for a tier it does not have', () => {
    const s = shedder();
    expect(s.forecastKW(3, t0)).toBeCloseTo(0.2, 9);
    expect(s.forecastKW(9, t0)).toBe(0);
  });
});

describe('load shedding: dwell and back-off', () => {
  it('waits one dwell after a switch before switching the relay again', () => {
    const s = shedder();
    s.record(3, true, t0, false);
    expect(s.decide(view(0.5, 599, 0))).toEqual([]);
    expect(s.decide(view(0.5, 600, 0)).map((d) => d.tier)).toEqual([3]);
    // Restored at 600 s, it may not be shed again before 1200 s.
    s.record(3, false, t0 + 600_000, false);
    expect(s.decide(view(0.2, 1199, 5))).toEqual([]);
    expect(s.decide(view(0.2, 1200, 5)).map((d) => d.tier)).toEqual([3]);
  });

  it('waits three dwells before restoring a tier shed for an overload', () => {
    const s = shedder();
    s.record(3, true, t0, false, true);
    // 3 × 600 s = 1800 s.
    expect(s.restoreRefusal(3, view(0.5, 1799, 0))).toBeNull(); // an operator restore needs no dwell
    expect(s.decide(view(0.5, 1799, 0))).toEqual([]);
    expect(s.decide(view(0.5, 1800, 0)).map((d) => d.tier)).toEqual([3]);
    // A later ordinary shed forgets the overload.
    s.record(3, false, t0 + 1_800_000, false);
    s.record(3, true, t0 + 2_400_000, false, false);
    expect(s.decide(view(0.5, 3000, 0)).map((d) => d.tier)).toEqual([3]);
  });

  it('counts switchings and the last switch, not a repeat of the same state', () => {
    const s = shedder();
    s.record(3, true, t0, false);
    s.record(3, true, t0 + 5000, false);
    s.record(3, false, t0 + 10_000, false);
    const t3 = s.states(view(0.5, 20), new Map([[3, 1.5]])).find((t) => t.tier === 3)!;
    expect(t3.switchings).toBe(2);
    expect(t3.lastSwitchMs).toBe(t0 + 10_000);
    expect(t3.loadKW).toBe(1.5);
    expect(t3.shedBelowSoC).toBeCloseTo(0.25, 12);
    expect(t3.restoreAboveSoC).toBeCloseTo(0.35, 12);
    expect(s.record(9, true, t0, false)).toBeUndefined();
  });

  it('shows a shed tier with its forecast load, a live one with its measured load or null', () => {
    const s = shedder();
    s.record(3, true, t0, true);
    const states = s.states(view(0.5, 0), new Map([[2, 3.25]]));
    expect(states.map((t) => [t.tier, t.shed, t.manual, t.essential])).toEqual([
      [0, false, false, true],
      [2, false, false, false],
      [3, true, true, false],
    ]);
    expect(states.find((t) => t.tier === 3)!.loadKW).toBeCloseTo(0.2, 9);
    expect(states.find((t) => t.tier === 2)!.loadKW).toBe(3.25);
    expect(states.find((t) => t.tier === 0)!.loadKW).toBeNull();
    expect(s.isManual(3)).toBe(true);
    expect(s.shedTiers()).toEqual([3]);
    expect(s.shedMembers()).toEqual(['house-a']);
    expect(s.allEnergised()).toEqual([0, 2]);
  });
});

describe('load shedding: grid restore and black start', () => {
  it('brings tiers back on the grid one every 5 s, lowest first, leaving manual sheds', () => {
    const s = shedder();
    s.record(0, true, t0, true);
    s.record(2, true, t0, false);
    s.record(3, true, t0, false);
    expect(s.restoreForGrid(t0)).toMatchObject({ tier: 2, shed: false });
    s.record(2, false, t0, false);
    expect(s.restoreForGrid(t0 + 4999)).toBeNull();
    expect(s.restoreForGrid(t0 + 5000)).toEqual({
      tier: 3,
      shed: false,
      reason: 'grid-connected: the grid supplies every tier',
    });
    s.record(3, false, t0 + 5000, false);
    expect(s.restoreForGrid(t0 + 20_000)).toBeNull();
  });

  it('black-starts in priority order and says why it waits', () => {
    const s = shedder();
    s.record(0, true, t0, false);
    s.record(2, true, t0, false);
    expect(s.nextForBlackStart(view(0.09, 0, 0))).toEqual({
      decision: null,
      waiting: "tier 0 waits: pool SoC 9.0 % is below tier 0's restore threshold 10.0 %",
    });
    expect(s.nextForBlackStart(view(0.5, 0, 0))).toEqual({
      decision: { tier: 0, shed: false, reason: 'black start: restoring tier 0' },
      waiting: null,
    });
    expect(s.nextForBlackStart(view(null, 0, 0)).waiting).toBe('tier 0 waits: pool SoC unknown');
    s.record(0, false, t0, false);
    s.record(2, false, t0, false);
    expect(s.nextForBlackStart(view(0.5, 0, 0))).toEqual({ decision: null, waiting: null });
  });

  it('hands a released manual shed back to the automatic restores', () => {
    const s = shedder();
    s.record(2, true, t0, true);
    expect(s.decide(view(0.9, 7200, 0))).toEqual([]);
    s.release(2);
    s.release(9);
    expect(s.isManual(2)).toBe(false);
    expect(s.decide(view(0.9, 7201, 0)).map((d) => d.tier)).toEqual([2]);
  });
});
