// Settling one interval: money conserved under every preset on random intervals, islanded
// intervals with no grid and the essential loads served first, the yearly allowance with its
// payback, and statements that add up to the interval bills they are made from.
import { describe, expect, it } from 'vitest';
import { presetIds } from '../../../../shared/market/index.ts';
import type { IntervalEnergies } from '../../../../shared/settlement/interval-energy.ts';
import {
  EMPTY_STATE,
  settleInterval,
  settlementSetup,
  type IntervalSettlement,
  type SettlementState,
} from '../../../../shared/settlement/interval-settlement.ts';
import { siteKpis } from '../../../../shared/settlement/site-kpis.ts';
import { siteSnapshot } from '../../../../shared/settlement/site-snapshot.ts';
import { buildMemberStatement, type StatementEntry } from '../../../../shared/settlement/statement.ts';
import type { SiteFile } from '../../../../shared/site/schema.ts';
import { validateSite } from '../../../../shared/site/validate-site.ts';
import { demoSite, demoSiteJson } from '../../../fixtures/demo-site.ts';

const MIN15 = 15 * 60_000;

/** A small deterministic generator (mulberry32), so a failure can be replayed. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function siteWith(market: Record<string, unknown>): SiteFile {
  const json = demoSiteJson();
  json.market = { ...(json.market as object), ...market };
  const result = validateSite(json);
  if (!result.ok) throw new Error(JSON.stringify(result.problems));
  return result.value;
}

function randomEnergies(
  site: SiteFile,
  startMs: number,
  rnd: () => number,
  socStart: number,
  mode: IntervalEnergies['mode'] = 'grid-connected',
): IntervalEnergies {
  const capacityKWh = 200;
  const charged = rnd() < 0.5 ? rnd() * 8 : 0;
  const discharged = charged === 0 ? rnd() * 8 : 0;
  const socEnd = Math.min(1, Math.max(0, socStart + (charged * 0.95 - discharged / 0.95) / capacityKWh));
  return {
    siteId: site.site.id,
    startMs,
    minutes: 15,
    mode,
    members: site.members.map((m) => ({
      member: m.id,
      importKWh: rnd() < 0.7 ? rnd() * 2 : 0,
      exportKWh: rnd() < 0.4 ? rnd() * 3 : 0,
      complete: true,
    })),
    pool: { chargedKWh: charged, dischargedKWh: discharged, socStart, socEnd, capacityKWh },
    pcc: { importKWh: 0, exportKWh: 0 },
    complete: true,
  };
}

describe('money is conserved', () => {
  for (const preset of presetIds) {
    it(`under the ${preset} preset, every interval and over the run`, () => {
      const site = siteWith({ preset });
      const setup = settlementSetup(site);
      const rnd = random(preset.length * 7919);
      let state: SettlementState = EMPTY_STATE;
      let soc = 0.5;
      const records: IntervalSettlement[] = [];
      for (let i = 0; i < 96; i++) {
        const mode = i >= 40 && i < 48 ? 'islanded' : 'grid-connected';
        const e = randomEnergies(site, Date.parse('2026-06-01T00:00:00Z') + i * MIN15, rnd, soc, mode);
        soc = e.pool.socEnd!;
        const s = settleInterval(setup, e, state);
        state = s.closing;
        records.push(s);
        const paidByMembers = s.members.reduce((t, l) => t + l.netCost, 0);
        const received = s.money.grid + s.money.community + s.money.distributionOperator;
        expect(Math.abs(paidByMembers - received)).toBeLessThan(1e-9);
        // Each member's bill is the sum of its parts.
        for (const l of s.members) {
          const parts =
            l.poolCost +
            l.energyCost +
            l.gridCost +
            l.fees -
            l.poolRevenue -
            l.energyRevenue -
            l.gridRevenue -
            l.paybackRevenue;
          expect(l.netCost).toBeCloseTo(parts, 9);
        }
      }
      const k = siteKpis(records, records[0]!.startMs, records.at(-1)!.startMs + MIN15);
      const month = k.money.grid + k.money.community + k.money.distributionOperator;
      expect(Math.abs(k.money.membersNetCost - month)).toBeLessThan(1e-7);
      expect(k.maxConservationError).toBeLessThan(1e-9);
      expect(k.localVolumeKWh).toBeGreaterThan(0);
    });
  }
});

describe('islanded intervals', () => {
  const site = demoSite();
  const setup = settlementSetup(site);
  const startMs = Date.parse('2026-06-02T20:00:00Z');
  const base = (mode: IntervalEnergies['mode']): IntervalEnergies => ({
    siteId: site.site.id,
    startMs,
    minutes: 15,
    mode,
    members: site.members.map((m) => ({
      member: m.id,
      importKWh: m.id === 'clinic' ? 3 : m.id === 'h01' ? 3 : 0,
      exportKWh: m.id === 'community-solar' ? 2 : 0,
      complete: true,
    })),
    pool: { chargedKWh: 0, dischargedKWh: 0, socStart: 0.5, socEnd: 0.5, capacityKWh: 200 },
    pcc: { importKWh: 0, exportKWh: 0 },
    complete: true,
  });

  it('settle without grid fallback and serve the essential loads first', () => {
    const s = settleInterval(setup, base('islanded'), EMPTY_STATE);
    expect(s.mode).toBe('islanded');
    expect(s.market.gridImportKWh).toBe(0);
    expect(s.money.grid).toBe(0);
    const clinic = s.members.find((l) => l.member === 'clinic')!;
    const h01 = s.members.find((l) => l.member === 'h01')!;
    expect(clinic.gridImportKWh).toBe(0);
    expect(clinic.boughtKWh).toBeCloseTo(2, 9);
    expect(h01.boughtKWh).toBeCloseTo(0, 9);
    expect(h01.unservedKWh).toBeCloseTo(3, 9);
    expect(Math.abs(s.money.conservationError)).toBeLessThan(1e-9);
  });

  it('use the mode recorded for the interval: the same energies grid-connected import from the grid', () => {
    const s = settleInterval(setup, base('grid-connected'), EMPTY_STATE);
    expect(s.market.gridImportKWh).toBeCloseTo(4, 9);
    expect(s.members.find((l) => l.member === 'h01')!.unservedKWh).toBe(0);
    expect(s.money.grid).toBeGreaterThan(0);
  });
});

describe('yearly allowance with payback', () => {
  it('covers pool purchases free of charge and pays back the unused part at the year end', () => {
    const site = siteWith({ virtualStorage: { allowance: { kWhPerYear: 100, paybackPricePerKWh: 0.1 } } });
    const setup = settlementSetup(site);
    expect(setup.storage.allowance).not.toBeNull();
    // The last two hours of 2026 in Lisbon (UTC+0 in winter), then the first of 2027.
    const start = Date.parse('2026-12-31T22:00:00Z');
    let state: SettlementState = EMPTY_STATE;
    const records: IntervalSettlement[] = [];
    for (let i = 0; i < 12; i++) {
      const e: IntervalEnergies = {
        siteId: site.site.id,
        startMs: start + i * MIN15,
        minutes: 15,
        mode: 'grid-connected',
        members: site.members.map((m) => ({
          member: m.id,
          importKWh: m.id === 'h01' ? 1 : 0,
          exportKWh: 0,
          complete: true,
        })),
        // The pool serves h01 from the community's account: a pool purchase.
        pool: {
          chargedKWh: 0,
          dischargedKWh: 1,
          socStart: 0.5 - i * 0.005,
          socEnd: 0.5 - (i + 1) * 0.005,
          capacityKWh: 200,
        },
        pcc: { importKWh: 0, exportKWh: 0 },
        complete: true,
      };
      const s = settleInterval(setup, e, state);
      state = s.closing;
      records.push(s);
      expect(Math.abs(s.money.conservationError)).toBeLessThan(1e-9);
    }
    // The year began when settlement began: 2 of 8760 hours' worth was granted.
    const granted = (100 * 2) / 8760;
    const first = records[0]!.members.find((l) => l.member === 'h01')!;
    expect(first.poolBoughtKWh).toBeCloseTo(1, 6);
    expect(first.allowanceKWh).toBeCloseTo(granted, 9);
    expect(first.poolCost).toBeCloseTo((1 - granted) * records[0]!.prices.poolPerKWh, 9);
    expect(records[1]!.members.find((l) => l.member === 'h01')!.allowanceKWh).toBe(0);
    const closing = records[7]!; // 23:45–24:00, the interval that reaches the year's end
    expect(closing.paybacks.find((p) => p.member === 'h01')).toBeUndefined();
    const h02 = closing.paybacks.find((p) => p.member === 'h02')!;
    expect(h02.kWh).toBeCloseTo(granted, 6);
    expect(h02.amount).toBeCloseTo(granted * 0.1, 9);
    expect(closing.members.find((l) => l.member === 'h02')!.paybackRevenue).toBeCloseTo(granted * 0.1, 9);
    // The new year opens with a full year's allowance.
    expect(records[8]!.closing.allowance!.year).toBe(2027);
    expect(records[8]!.closing.allowance!.grantedKWh.h02).toBeCloseTo(100, 9);
  });
});

describe('statements', () => {
  it('add up to the interval bills they are made from', () => {
    const site = demoSite();
    const setup = settlementSetup(site);
    const rnd = random(42);
    let state: SettlementState = EMPTY_STATE;
    let soc = 0.4;
    const entries: StatementEntry[] = [];
    const start = Date.parse('2026-06-30T20:00:00Z'); // 21:00 local on 30 June: spans two months
    for (let i = 0; i < 24; i++) {
      const e = randomEnergies(site, start + i * MIN15, rnd, soc);
      soc = e.pool.socEnd!;
      const s = settleInterval(setup, e, state);
      state = s.closing;
      entries.push({
        seq: i + 2,
        hash: `h${i}`,
        kind: 'interval',
        bookedMs: s.startMs + MIN15,
        settlement: s,
      });
    }
    const snapshot = siteSnapshot(site, setup.storage);
    const june = buildMemberStatement(snapshot, 'h03', '2026-06', entries);
    const juneBills = entries
      .filter((e) => e.settlement.startMs < Date.parse('2026-06-30T23:00:00Z'))
      .map((e) => e.settlement.members.find((l) => l.member === 'h03')!.netCost);
    expect(june.intervals.settled).toBe(juneBills.length);
    expect(june.money.total).toBeCloseTo(
      juneBills.reduce((t, v) => t + v, 0),
      9,
    );
    expect(june.money.billed).toBeCloseTo(june.money.total, 9);
    const lineTotal = june.money.lines.reduce((t, l) => t + l.amount, 0) + june.money.fees;
    expect(lineTotal).toBeCloseTo(june.money.total, 9);
    expect(june.daily.map((d) => d.date)).toEqual(['2026-06-30']);
    expect(june.intervals.expected).toBe(30 * 96);
    const july = buildMemberStatement(snapshot, 'h03', '2026-07', entries);
    expect(july.intervals.settled + june.intervals.settled).toBe(24);
    expect(july.account.openingKWh).toBeCloseTo(june.account.closingKWh, 9);

    // A correction booked later shows as an adjustment and changes the month's total by its delta.
    const original = entries[3]!.settlement;
    const corrected = structuredClone(original);
    const line = corrected.members.find((l) => l.member === 'h03')!;
    line.netCost += 1.25;
    const delta = { ...line, netCost: 1.25, importKWh: 0.5, exportKWh: 0 };
    const adjusted = buildMemberStatement(snapshot, 'h03', '2026-06', [
      ...entries,
      {
        seq: 100,
        hash: 'hx',
        kind: 'adjustment',
        bookedMs: Date.parse('2026-07-02T10:00:00Z'),
        settlement: corrected,
        delta: [delta],
        reason: 'meter replaced',
      },
    ]);
    expect(adjusted.adjustments).toHaveLength(1);
    expect(adjusted.money.adjustments).toBeCloseTo(1.25, 9);
    expect(adjusted.money.total).toBeCloseTo(june.money.total + 1.25, 9);
    expect(adjusted.money.billed).toBeCloseTo(june.money.billed, 9);
  });

  it('refuse a member the site does not have, naming the members', () => {
    const site = demoSite();
    const snapshot = siteSnapshot(site, settlementSetup(site).storage);
    expect(() => buildMemberStatement(snapshot, 'nobody', '2026-06', [])).toThrow(/member 'nobody'.*clinic/);
  });
});
