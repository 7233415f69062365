// What each member would have paid with the grid alone, and so what the community saved them, on
// an interval small enough to settle by hand. Expected figures are worked out below from the demo
// tariff and the SunContract preset; none is recomputed with the code under test.
import { describe, expect, it } from 'vitest';
import type { IntervalEnergies } from '../../../../shared/settlement/interval-energy.ts';
import {
  EMPTY_STATE,
  settleInterval,
  settlementSetup,
  type IntervalSettlement,
} from '../../../../shared/settlement/interval-settlement.ts';
import { siteSnapshot } from '../../../../shared/settlement/site-snapshot.ts';
import { buildMemberStatement } from '../../../../shared/settlement/statement.ts';
import type { SiteFile } from '../../../../shared/site/schema.ts';
import { validateSite } from '../../../../shared/site/validate-site.ts';
import { demoSiteJson } from '../../../fixtures/demo-site.ts';

// SunContract: pay-as-bid, no fees. At 10:00 in Lisbon (UTC+1 in June) the demo tariff is
// import 0.26, export 0.06 per kWh, a spread of 0.20. Default offer: 0.06 + 0.25 × 0.20 = 0.11;
// default bid: 0.06 + 0.85 × 0.20 = 0.23. Pay-as-bid strikes each trade at the buyer's bid.
function suncontractSite(): SiteFile {
  const json = demoSiteJson();
  json.market = { ...(json.market as object), preset: 'suncontract' };
  const result = validateSite(json);
  if (!result.ok) throw new Error(JSON.stringify(result.problems));
  return result.value;
}

const site = suncontractSite();
const setup = settlementSetup(site);
const startMs = Date.parse('2026-06-10T10:00:00+01:00');

/** h01 exports 2 kWh, h02 imports 3 kWh, nobody else moves and the pool stands still. */
function interval(mode: IntervalEnergies['mode']): IntervalEnergies {
  return {
    siteId: site.site.id,
    startMs,
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

const line = (s: IntervalSettlement, id: string) => s.members.find((l) => l.member === id)!;

describe('grid-only cost and savings', () => {
  const s = settleInterval(setup, interval('grid-connected'), EMPTY_STATE);

  it('prices each member net metering at the tariff alone', () => {
    // h02 imports 3 kWh: 3 × 0.26 = 0.78. h01 exports 2 kWh: it would have received 2 × 0.06 = 0.12.
    expect(line(s, 'h02').gridOnlyCost).toBeCloseTo(0.78, 9);
    expect(line(s, 'h01').gridOnlyCost).toBeCloseTo(-0.12, 9);
    expect(line(s, 'h03').gridOnlyCost).toBeCloseTo(0, 9);
  });

  it('bills the local trade and the grid remainder', () => {
    // h02 buys h01's 2 kWh at its bid 0.23 (0.46) and 1 kWh from the grid at 0.26: 0.72.
    // h01 sells 2 kWh at 0.23: receives 0.46.
    expect(line(s, 'h02').boughtKWh).toBeCloseTo(2, 9);
    expect(line(s, 'h02').gridImportKWh).toBeCloseTo(1, 9);
    expect(line(s, 'h02').netCost).toBeCloseTo(0.72, 9);
    expect(line(s, 'h01').netCost).toBeCloseTo(-0.46, 9);
  });

  it('saves each member the difference, and the interval the sum', () => {
    // h02: 0.78 − 0.72 = 0.06; h01: −0.12 − (−0.46) = 0.34; in all 0.40.
    expect(s.kpi.savings).toBeCloseTo(0.4, 9);
  });

  it('carries the same saving onto the monthly statement', () => {
    const snapshot = siteSnapshot(site, setup.storage);
    const entry = {
      seq: 2,
      hash: 'h',
      kind: 'interval' as const,
      bookedMs: startMs + 900_000,
      settlement: s,
    };
    const h02 = buildMemberStatement(snapshot, 'h02', '2026-06', [entry]);
    expect(h02.money.gridOnlyCost).toBeCloseTo(0.78, 9);
    expect(h02.money.total).toBeCloseTo(0.72, 9);
    expect(h02.money.savings).toBeCloseTo(0.06, 9);
    const h01 = buildMemberStatement(snapshot, 'h01', '2026-06', [entry]);
    expect(h01.money.savings).toBeCloseTo(0.34, 9);
    expect(h01.daily).toEqual([
      { date: '2026-06-10', importKWh: 0, exportKWh: 2, netCost: -0.46, gridOnlyCost: -0.12 },
    ]);
  });

  it('prices an islanded interval at the tariff too: the saving is against a grid the member did not have', () => {
    // Islanded, no grid: h02 buys h01's 2 kWh at 0.23 = 0.46 and 1 kWh goes unserved.
    // gridOnlyCost is still 3 × 0.26 = 0.78, so h02 "saves" 0.78 − 0.46 = 0.32.
    const i = settleInterval(setup, interval('islanded'), EMPTY_STATE);
    expect(line(i, 'h02').unservedKWh).toBeCloseTo(1, 9);
    expect(line(i, 'h02').netCost).toBeCloseTo(0.46, 9);
    expect(line(i, 'h02').gridOnlyCost).toBeCloseTo(0.78, 9);
  });
});
