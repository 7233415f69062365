// One interval's record and the site's figures over two intervals, against values worked out by
// hand (the same small interval as grid-only-savings.test.ts: SunContract, 10:00 in June, h01
// exports 2 kWh, h02 imports 3 kWh, the pool idle at SoC 0.5 of 200 kWh). And the month's bounds
// in the site's timezone, across a change of offset.
import { describe, expect, it } from 'vitest';
import type { IntervalEnergies } from '../../../../shared/settlement/interval-energy.ts';
import {
  EMPTY_STATE,
  settleInterval,
  settlementSetup,
} from '../../../../shared/settlement/interval-settlement.ts';
import { monthRange } from '../../../../shared/settlement/settlement-period.ts';
import { siteKpis } from '../../../../shared/settlement/site-kpis.ts';
import { validateSite } from '../../../../shared/site/validate-site.ts';
import { demoSiteJson } from '../../../fixtures/demo-site.ts';

const json = demoSiteJson();
json.market = { ...(json.market as object), preset: 'suncontract' };
const checked = validateSite(json);
if (!checked.ok) throw new Error(JSON.stringify(checked.problems));
const site = checked.value;
const setup = settlementSetup(site);
const startMs = Date.parse('2026-06-10T10:00:00+01:00');

function interval(mode: IntervalEnergies['mode'], start = startMs): IntervalEnergies {
  return {
    siteId: site.site.id,
    startMs: start,
    minutes: 15,
    mode,
    members: site.members.map((m) => ({
      member: m.id,
      importKWh: m.id === 'h02' ? 3 : 0,
      exportKWh: m.id === 'h01' ? 2 : 0,
      complete: true,
    })),
    pool: { chargedKWh: 0, dischargedKWh: 0, socStart: 0.5, socEnd: 0.5, capacityKWh: 200 },
    pcc: { importKWh: 1, exportKWh: 0 },
    complete: true,
  };
}

describe('one interval settled by hand', () => {
  const s = settleInterval(setup, interval('grid-connected'), EMPTY_STATE);

  it('prices it at the tariff period and the preset', () => {
    // 10:00 local: import 0.26, export 0.06. The pool's price without a community rule is midway:
    // 0.06 + 0.5 × 0.20 = 0.16. Pay-as-bid has no single clearing price.
    expect(s.prices.importPerKWh).toBeCloseTo(0.26, 12);
    expect(s.prices.exportPerKWh).toBeCloseTo(0.06, 12);
    expect(s.prices.poolPerKWh).toBeCloseTo(0.16, 12);
    expect(s.prices.clearingPerKWh).toBeNull();
    expect(s.mechanism).toBe('pay-as-bid');
    expect(s.preset).toBe('suncontract');
  });

  it('books one trade at the buyer’s bid and the rest against the grid', () => {
    expect(s.market.trades).toHaveLength(1);
    const [seller, buyer, kWh, price] = s.market.trades[0]!;
    expect([seller, buyer]).toEqual(['h01', 'h02']);
    expect(kWh).toBeCloseTo(2, 12);
    expect(price).toBeCloseTo(0.23, 12);
    expect(s.market.localKWh).toBeCloseTo(2, 12);
    expect(s.market.gridImportKWh).toBeCloseTo(1, 12);
    expect(s.market.importCost).toBeCloseTo(0.26, 12);
    expect(s.market.gridExportKWh).toBe(0);
  });

  it('balances the money: members pay 0.26 in all, all of it to the grid', () => {
    // h02 0.72, h01 −0.46: 0.26. The grid: 1 kWh × 0.26. No fees, no pool movement.
    expect(s.money.membersNetCost).toBeCloseTo(0.26, 12);
    expect(s.money.grid).toBeCloseTo(0.26, 12);
    expect(s.money.community).toBeCloseTo(0, 12);
    expect(s.money.distributionOperator).toBeCloseTo(0, 12);
    expect(Math.abs(s.money.conservationError)).toBeLessThan(1e-12);
  });

  it('counts the interval’s figures', () => {
    // Demand 3 (h02's deficit); 1 from the grid, so 2 met locally; CO2 0.18 kg/kWh × 2 = 0.36 kg.
    // Kept in the community: h02's 0.46 paid to h01.
    expect(s.kpi.demandKWh).toBeCloseTo(3, 12);
    expect(s.kpi.consumptionKWh).toBeCloseTo(3, 12);
    expect(s.kpi.localTradeKWh).toBeCloseTo(2, 12);
    expect(s.kpi.poolServedKWh).toBe(0);
    expect(s.kpi.gridImportKWh).toBeCloseTo(1, 12);
    expect(s.kpi.gridExportKWh).toBe(0);
    expect(s.kpi.locallySuppliedKWh).toBeCloseTo(2, 12);
    expect(s.kpi.co2AvoidedKg).toBeCloseTo(0.36, 12);
    expect(s.kpi.keptInCommunity).toBeCloseTo(0.46, 12);
    expect(s.kpi.savings).toBeCloseTo(0.4, 12);
  });

  it('keeps the pool’s stock as measured and flags nothing', () => {
    // 0.5 × 200 kWh at both ends, no charge or discharge: no loss.
    expect(s.pool.storedStartKWh).toBeCloseTo(100, 12);
    expect(s.pool.storedEndKWh).toBeCloseTo(100, 12);
    expect(s.pool.lossesKWh).toBeCloseTo(0, 12);
    expect(s.flags).toEqual([]);
    expect(s.incompleteMembers).toEqual([]);
    expect(s.alarms).toEqual([]);
    expect(s.pcc).toEqual({ importKWh: 1, exportKWh: 0 });
  });

  it('flags a member whose meter was incomplete, and the interval', () => {
    const e = interval('grid-connected');
    e.members = e.members.map((m) => (m.member === 'h05' ? { ...m, complete: false } : m));
    const flagged = settleInterval(setup, e, EMPTY_STATE, { flags: ['late'] });
    expect(flagged.incompleteMembers).toEqual(['h05']);
    expect(flagged.flags).toEqual(['incomplete', 'late']);
  });
});

describe('the site over two intervals', () => {
  const grid = settleInterval(setup, interval('grid-connected'), EMPTY_STATE);
  const island = settleInterval(setup, interval('islanded', startMs + 900_000), grid.closing);
  const k = siteKpis([grid, island], startMs, startMs + 1_800_000);

  it('sums what adds and counts what does not', () => {
    // Islanded: the same trade, no grid, 1 kWh unserved. Savings: grid 0.40; islanded
    // h02 0.78 − 0.46 = 0.32 and h01 −0.12 + 0.46 = 0.34, so 0.66; in all 1.06.
    expect(k.intervals).toBe(2);
    expect(k.islandedIntervals).toBe(1);
    expect(k.flaggedIntervals).toBe(0);
    expect(k.demandKWh).toBeCloseTo(6, 12);
    expect(k.localTradeKWh).toBeCloseTo(4, 12);
    expect(k.localVolumeKWh).toBeCloseTo(4, 12);
    expect(k.gridImportKWh).toBeCloseTo(1, 12);
    expect(k.unservedKWh).toBeCloseTo(1, 12);
    expect(k.curtailedKWh).toBe(0);
    expect(k.savings).toBeCloseTo(1.06, 12);
    expect(k.keptInCommunity).toBeCloseTo(0.92, 12);
    expect(k.money).toEqual({
      membersNetCost: expect.closeTo(0.26, 12),
      grid: expect.closeTo(0.26, 12),
      community: expect.closeTo(0, 12),
      distributionOperator: expect.closeTo(0, 12),
    });
    expect(k.maxConservationError).toBeLessThan(1e-12);
    expect(k.alarms).toBe(0);
    expect([k.fromMs, k.toMs]).toEqual([startMs, startMs + 1_800_000]);
  });

  it('has no self-sufficiency without demand', () => {
    expect(siteKpis([], 0, 1).selfSufficiency).toBeNull();
    expect(siteKpis([], 0, 1).intervals).toBe(0);
  });

  // Islanded, the unserved 1 kWh was met by nobody: 3 − 1 = 2 kWh local, 4/6 over both intervals
  // (it once counted as local, with its CO2 "avoided", and read 5/6).
  it('does not count unserved energy as supplied locally', () => {
    expect(island.kpi.locallySuppliedKWh).toBeCloseTo(2, 12);
    expect(k.selfSufficiency).toBeCloseTo(4 / 6, 12);
  });
});

describe('settlement months in the site timezone', () => {
  it('runs from local midnight to local midnight across the change to summer time', () => {
    // Lisbon: UTC+0 until 29 March 2026, then UTC+1. March: 1 March 00:00Z to 31 March 23:00Z.
    expect(monthRange('2026-03', 'Europe/Lisbon')).toEqual({
      fromMs: Date.parse('2026-03-01T00:00:00Z'),
      toMs: Date.parse('2026-03-31T23:00:00Z'),
    });
    // December runs into the next year.
    expect(monthRange('2026-12', 'Europe/Lisbon')).toEqual({
      fromMs: Date.parse('2026-12-01T00:00:00Z'),
      toMs: Date.parse('2027-01-01T00:00:00Z'),
    });
  });

  it('refuses a month not written YYYY-MM, saying how to write it', () => {
    for (const bad of ['2026-13', '2026-00', '2026-6', '26-06', ' 2026-06', '2026-06 '])
      expect(() => monthRange(bad, 'Europe/Lisbon')).toThrow(
        `month '${bad}': write it as YYYY-MM, e.g. 2026-06`,
      );
  });
});
