// Virtual storage over a simulated month of the demo village (accounts + community + reserve =
// the pool's stored energy every interval, losses apportioned), and the rules one by one on
// small pools where the right answer can be worked out by hand.
import { describe, expect, it } from 'vitest';
import {
  EMPTY_STATE,
  settleInterval,
  settlementSetup,
  type IntervalSettlement,
  type SettlementState,
} from '../../../../shared/settlement/interval-settlement.ts';
import { shareByTier, shareProRata } from '../../../../shared/storage/pro-rata.ts';
import {
  accountCapacityKWh,
  type VirtualStorageSettings,
} from '../../../../shared/storage/storage-settings.ts';
import {
  COMMUNITY_HOLDER,
  RESERVE_HOLDER,
  reconciliationToleranceKWh,
  settlePool,
  type PoolInterval,
  type StorageState,
} from '../../../../shared/storage/virtual-storage.ts';
import { demoSite } from '../../../fixtures/demo-site.ts';
import { physicsIntervals } from '../../../fixtures/physics-intervals.ts';

const DAY = 86_400_000;

describe('virtual storage over a simulated month of the demo village', () => {
  const site = demoSite();
  const setup = settlementSetup(site);
  const start = Date.parse('2026-05-31T23:00:00Z'); // local midnight, 1 June, Europe/Lisbon
  const islanded: Array<[number, number]> = [
    [start + 9 * DAY + 18 * 3_600_000, start + 10 * DAY + 6 * 3_600_000],
  ];
  const records: IntervalSettlement[] = [];
  let state: SettlementState = EMPTY_STATE;
  for (const energies of physicsIntervals(site, {
    startMs: start,
    intervals: 30 * 96,
    stepSeconds: 30,
    weather: (day) => (day % 7 === 3 ? 'cloudy' : 'clear'),
    islanded,
  })) {
    const s = settleInterval(setup, energies, state);
    records.push(s);
    state = s.closing;
  }
  const storage = setup.storage;
  const tolerance = reconciliationToleranceKWh(storage.capacityKWh);

  it('reconciles accounts + community + reserve with the pool every interval', () => {
    expect(records).toHaveLength(2880);
    let maxStock = 0;
    for (const r of records) {
      const st = r.closing.storage!;
      const held = Object.values(st.accounts).reduce((t, v) => t + v, 0) + st.communityKWh + st.reserveKWh;
      const stored = (r.pool.socEnd ?? 0) * r.pool.capacityKWh;
      maxStock = Math.max(maxStock, Math.abs(held - stored), Math.abs(r.pool.flowErrorKWh));
      // Every movement is explained: Σ(in − out − loss) over holders = charge − discharge − losses.
      const moved = r.holders.reduce((t, h) => t + h.inKWh - h.outKWh - h.lossKWh, 0);
      expect(Math.abs(moved - (r.pool.chargedKWh - r.pool.dischargedKWh - r.pool.lossesKWh))).toBeLessThan(
        tolerance,
      );
    }
    expect(maxStock).toBeLessThan(tolerance);
    expect(records.flatMap((r) => r.alarms)).toEqual([]);
  });

  it('moved real energy through the accounts and apportioned real losses', () => {
    const sum = (f: (r: IntervalSettlement) => number) => records.reduce((t, r) => t + f(r), 0);
    const credited = sum((r) => r.members.reduce((t, l) => t + l.storedKWh, 0));
    const drawn = sum((r) => r.members.reduce((t, l) => t + l.drawnKWh, 0));
    const losses = sum((r) => r.pool.lossesKWh);
    const memberLosses = sum((r) => r.members.reduce((t, l) => t + l.lossKWh, 0));
    expect(credited).toBeGreaterThan(50);
    expect(drawn).toBeGreaterThan(50);
    expect(losses).toBeGreaterThan(1);
    expect(memberLosses).toBeGreaterThan(0);
    expect(memberLosses).toBeLessThan(losses);
  });

  it('never allocates the islanding reserve to an account, and no account exceeds its share', () => {
    expect(storage.reserveKWh).toBeGreaterThan(0);
    for (const r of records) {
      const st = r.closing.storage!;
      for (const [member, kwh] of Object.entries(st.accounts)) {
        expect(kwh).toBeGreaterThanOrEqual(-tolerance);
        expect(kwh).toBeLessThanOrEqual(accountCapacityKWh(storage, member, r.pool.capacityKWh) + tolerance);
      }
      const accounts = Object.values(st.accounts).reduce((t, v) => t + v, 0);
      expect(accounts).toBeLessThanOrEqual(r.pool.capacityKWh - storage.reserveKWh + tolerance);
    }
  });

  it('draws on the reserve only while islanded', () => {
    let drawnIslanded = 0;
    for (const r of records) {
      const reserve = r.holders.find((h) => h.holder === RESERVE_HOLDER)!;
      if (r.mode === 'grid-connected') expect(reserve.outKWh).toBeLessThan(tolerance);
      else drawnIslanded += reserve.outKWh;
    }
    expect(records.some((r) => r.mode !== 'grid-connected')).toBe(true);
    expect(drawnIslanded).toBeGreaterThan(0);
  });
});

function settings(overrides: Partial<VirtualStorageSettings> = {}): VirtualStorageSettings {
  return {
    capacityKWh: 100,
    reserveHours: 2,
    essentialForecastKW: 5,
    reserveKWh: 10,
    shares: new Map([
      ['a', 0.5],
      ['b', 0.25],
    ]),
    essentialMembers: new Set(['c']),
    priorityTiers: new Map([
      ['a', 3],
      ['b', 3],
      ['c', 0],
    ]),
    allowance: null,
    oneWayEfficiency: 0.95,
    ...overrides,
  };
}

function interval(p: Partial<PoolInterval>): PoolInterval {
  return {
    mode: 'grid-connected',
    chargedKWh: 0,
    dischargedKWh: 0,
    socStart: null,
    socEnd: null,
    capacityKWh: 100,
    surplusKWh: new Map(),
    deficitKWh: new Map(),
    ...p,
  };
}

const held = (s: StorageState) =>
  Object.values(s.accounts).reduce((t, v) => t + v, 0) + s.communityKWh + s.reserveKWh;

describe('virtual storage rules', () => {
  it('fills the reserve first, then credits contributors pro rata to surplus up to their share', () => {
    const previous: StorageState = { storedKWh: 5, accounts: { a: 0, b: 0 }, communityKWh: 0, reserveKWh: 5 };
    // 25 kWh charged, no loss: 5 refill the reserve, 20 are split 3:1 between a and b.
    const r = settlePool(
      settings(),
      previous,
      interval({
        chargedKWh: 25,
        socStart: 0.05,
        socEnd: 0.3,
        surplusKWh: new Map([
          ['a', 30],
          ['b', 10],
        ]),
      }),
    );
    expect(r.state.reserveKWh).toBeCloseTo(10, 9);
    expect(r.state.accounts.a).toBeCloseTo(15, 9);
    expect(r.state.accounts.b).toBeCloseTo(5, 9);
    expect(r.members.get('a')!.soldToPoolKWh).toBeCloseTo(18.75 - 15, 9);
    expect(held(r.state)).toBeCloseTo(30, 9);
    expect(r.alarms).toEqual([]);
  });

  it('caps an account at its share of capacity less the reserve and gives the rest to the community', () => {
    const previous: StorageState = {
      storedKWh: 50,
      accounts: { a: 44, b: 0 },
      communityKWh: 0,
      reserveKWh: 6,
    };
    const r = settlePool(
      settings(),
      previous,
      interval({
        chargedKWh: 10,
        socStart: 0.5,
        socEnd: 0.6,
        surplusKWh: new Map([['a', 10]]),
      }),
    );
    // a may hold 0.5 × (100 − 10) = 45; the reserve takes 4 first.
    expect(r.state.reserveKWh).toBeCloseTo(10, 9);
    expect(r.state.accounts.a).toBeCloseTo(45, 9);
    expect(r.state.communityKWh).toBeCloseTo(5, 9);
  });

  it('serves a member from its own account first, then the community, then others (grid-connected)', () => {
    const previous: StorageState = {
      storedKWh: 40,
      accounts: { a: 20, b: 8 },
      communityKWh: 2,
      reserveKWh: 10,
    };
    const r = settlePool(
      settings(),
      previous,
      interval({
        dischargedKWh: 14,
        socStart: 0.4,
        socEnd: 0.26,
        deficitKWh: new Map([['b', 14]]),
      }),
    );
    const b = r.members.get('b')!;
    expect(b.drawnKWh).toBeCloseTo(8, 9);
    expect(b.boughtFromPoolKWh).toBeCloseTo(6, 9);
    expect(r.state.communityKWh).toBeCloseTo(0, 9);
    expect(r.members.get('a')!.accountSoldKWh).toBeCloseTo(4, 9);
    expect(r.state.reserveKWh).toBeCloseTo(10, 9);
    expect(held(r.state)).toBeCloseTo(26, 9);
  });

  it('serves the essential tier first and from the reserve when islanded', () => {
    const previous: StorageState = {
      storedKWh: 20,
      accounts: { a: 5, b: 0 },
      communityKWh: 0,
      reserveKWh: 15,
    };
    const r = settlePool(
      settings(),
      previous,
      interval({
        mode: 'islanded',
        dischargedKWh: 12,
        socStart: 0.2,
        socEnd: 0.08,
        deficitKWh: new Map([
          ['c', 10],
          ['b', 6],
        ]),
      }),
    );
    expect(r.members.get('c')!.fromPoolKWh).toBeCloseTo(10, 9);
    expect(r.members.get('b')!.fromPoolKWh).toBeCloseTo(2, 9);
    expect(r.state.reserveKWh).toBeCloseTo(3, 9);
    expect(r.state.accounts.a).toBeCloseTo(5, 9);
    expect(r.chargeFromGridKWh).toBe(0);
  });

  it('apportions losses pro rata to throughput, never taking a holder below zero', () => {
    const previous: StorageState = {
      storedKWh: 30,
      accounts: { a: 10, b: 10 },
      communityKWh: 0,
      reserveKWh: 10,
    };
    // a stores 9 (after the reserve, full) while b draws 3; the pool lost 1 kWh.
    const r = settlePool(
      settings(),
      previous,
      interval({
        chargedKWh: 9,
        dischargedKWh: 3,
        socStart: 0.3,
        socEnd: 0.35,
        surplusKWh: new Map([['a', 9]]),
        deficitKWh: new Map([['b', 3]]),
      }),
    );
    expect(r.lossesKWh).toBeCloseTo(1, 9);
    expect(r.members.get('a')!.lossKWh).toBeCloseTo(9 / 12, 9);
    expect(r.members.get('b')!.lossKWh).toBeCloseTo(3 / 12, 9);
    expect(held(r.state)).toBeCloseTo(35, 9);
    expect(r.alarms).toEqual([]);
  });

  it('raises an alarm when the accounts do not add up to what the pool holds', () => {
    // A carried state whose holders add up to 32 kWh for a pool that held 30: corrupted or hand-edited.
    const previous: StorageState = {
      storedKWh: 30,
      accounts: { a: 12, b: 10 },
      communityKWh: 0,
      reserveKWh: 10,
    };
    const r = settlePool(settings(), previous, interval({ socStart: 0.3, socEnd: 0.3 }));
    expect(Math.abs(r.reconciliation.stockErrorKWh)).toBeCloseTo(2, 6);
    expect(r.alarms.join('\n')).toMatch(/does not reconcile with the pool's meters/);
  });

  it('books a state-of-charge recalibration and says so', () => {
    const previous: StorageState = {
      storedKWh: 30,
      accounts: { a: 10, b: 10 },
      communityKWh: 0,
      reserveKWh: 10,
    };
    const r = settlePool(settings(), previous, interval({ socStart: 0.25, socEnd: 0.25 }));
    expect(r.recalibrationKWh).toBeCloseTo(-5, 9);
    expect(held(r.state)).toBeCloseTo(25, 9);
    expect(r.alarms.join('\n')).toMatch(/recalibration/);
    expect(Math.abs(r.reconciliation.stockErrorKWh)).toBeLessThan(1e-9);
  });

  it('opens on commissioning with the reserve filled from what the pool holds', () => {
    const r = settlePool(settings(), null, interval({ socStart: 0.4, socEnd: 0.4 }));
    expect(r.state.reserveKWh).toBeCloseTo(10, 9);
    expect(r.state.communityKWh).toBeCloseTo(30, 9);
    expect(r.holders.map((h) => h.holder).slice(0, 2)).toEqual([RESERVE_HOLDER, COMMUNITY_HOLDER]);
  });
});

describe('pro-rata sharing', () => {
  it('shares by weight and re-shares what a capped holder cannot take', () => {
    const r = shareProRata(
      10,
      new Map([
        ['x', 1],
        ['y', 1],
        ['z', 2],
      ]),
      new Map([['x', 1]]),
    );
    expect(r.parts.get('x')).toBeCloseTo(1, 12);
    expect(r.parts.get('y')).toBeCloseTo(3, 12);
    expect(r.parts.get('z')).toBeCloseTo(6, 12);
    expect(r.leftover).toBe(0);
  });

  it('reports what no holder could take', () => {
    const r = shareProRata(
      10,
      new Map([
        ['x', 1],
        ['y', 1],
      ]),
      new Map([
        ['x', 2],
        ['y', 3],
      ]),
    );
    expect(r.leftover).toBeCloseTo(5, 12);
  });

  it('serves lower tiers first', () => {
    const r = shareByTier(
      5,
      new Map([
        ['c', 4],
        ['a', 3],
        ['b', 3],
      ]),
      (k) => (k === 'c' ? 0 : 3),
    );
    expect(r.parts.get('c')).toBeCloseTo(4, 12);
    expect(r.parts.get('a')).toBeCloseTo(0.5, 12);
    expect(r.parts.get('b')).toBeCloseTo(0.5, 12);
  });
});
