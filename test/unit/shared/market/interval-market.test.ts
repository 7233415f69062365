// The interval market has one recipe: the live preview of a closed interval (fed the interval's
// metered energies, the controller's mode and the storage state) shows exactly the trades, prices
// and member money that settlement books for it — for every preset, in every interval mode, on
// random metered intervals of small random sites. And the rules where the two copies differed
// before, worked by hand.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { buildPreview } from '../../../../electron/market/preview-builder.ts';
import { presetIds, type PresetId } from '../../../../shared/market/index.ts';
import { IDLE_POOL, intervalMarket, intervalMarketSetup } from '../../../../shared/market/interval-market.ts';
import type { IntervalEnergies, IntervalMode } from '../../../../shared/settlement/interval-energy.ts';
import {
  EMPTY_STATE,
  settleInterval,
  settlementSetup,
  type SettlementState,
} from '../../../../shared/settlement/interval-settlement.ts';
import type { SiteFile } from '../../../../shared/site/schema.ts';
import { validateSite } from '../../../../shared/site/validate-site.ts';
import { demoSiteJson } from '../../../fixtures/demo-site.ts';

const modes: IntervalMode[] = ['grid-connected', 'islanded', 'off-grid', 'blackout'];
const MIN15 = 15 * 60_000;
/** 2026-01-01T00:00Z: intervals are drawn from the year, both sides of both offset changes. */
const YEAR_START_MS = Date.UTC(2026, 0, 1);
const demoMemberIds = (demoSiteJson().members as Array<{ id: string }>).map((m) => m.id);

/** The demo village cut down to some of its members (the network, devices and tariff stay). */
function smallSite(preset: PresetId, members: readonly string[]): SiteFile {
  const json = demoSiteJson();
  const keep = new Set(members);
  json.members = (json.members as Array<{ id: string }>).filter((m) => keep.has(m.id));
  json.market = { ...(json.market as object), preset };
  const result = validateSite(json);
  if (!result.ok) throw new Error(JSON.stringify(result.problems));
  return result.value;
}

const kWh = (max: number) => fc.double({ min: 0, max, noNaN: true, noDefaultInfinity: true });
const maybeKWh = (max: number) => fc.oneof(fc.constant(0), kWh(max));
const soc = fc.option(fc.double({ min: 0, max: 1, noNaN: true }), { nil: null });

/** A metered interval of a site with the given members, in the given mode. */
function intervalOf(members: readonly string[], mode: IntervalMode) {
  return fc.record({
    slot: fc.integer({ min: 0, max: 365 * 96 - 1 }),
    meters: fc.array(fc.record({ importKWh: maybeKWh(3), exportKWh: maybeKWh(4), complete: fc.boolean() }), {
      minLength: members.length,
      maxLength: members.length,
    }),
    pool: fc.record({
      chargedKWh: maybeKWh(10),
      dischargedKWh: maybeKWh(10),
      socStart: soc,
      socEnd: soc,
      capacityKWh: fc.constantFrom(0, 120, 200),
    }),
    mode: fc.constant(mode),
  });
}

type Drawn = ReturnType<typeof intervalOf> extends fc.Arbitrary<infer T> ? T : never;

function energiesOf(
  site: SiteFile,
  drawn: Drawn,
  startMs = YEAR_START_MS + drawn.slot * MIN15,
): IntervalEnergies {
  return {
    siteId: site.site.id,
    startMs,
    minutes: 15,
    mode: drawn.mode,
    members: site.members.map((m, i) => ({ member: m.id, ...drawn.meters[i]! })),
    pool: drawn.pool,
    pcc: { importKWh: 0, exportKWh: 0 },
    complete: drawn.meters.every((m) => m.complete),
  };
}

describe('the preview of a closed interval is what settlement books', () => {
  for (const preset of presetIds)
    for (const mode of modes)
      it(`under ${preset}, ${mode}`, () => {
        const sites = new Map<string, SiteFile>();
        const cases = fc
          .subarray(demoMemberIds, { minLength: 2, maxLength: 8 })
          .chain((members) =>
            fc.tuple(
              fc.constant(members),
              intervalOf(members, mode),
              intervalOf(members, mode),
              fc.boolean(),
            ),
          );
        const property = fc.property(cases, ([members, previous, drawn, settledBefore]) => {
          const key = members.join(',');
          let site = sites.get(key);
          if (!site) sites.set(key, (site = smallSite(preset, members)));
          const setup = settlementSetup(site);
          // The storage state a previous, random interval left (or none settled yet).
          let opening: SettlementState = EMPTY_STATE;
          const startMs = YEAR_START_MS + drawn.slot * MIN15;
          if (settledBefore)
            opening = settleInterval(setup, energiesOf(site, previous, startMs - MIN15), EMPTY_STATE).closing;
          const energies = energiesOf(site, drawn, startMs);

          const booked = settleInterval(setup, energies, opening);
          const built = buildPreview({
            site,
            market: setup.market,
            intervalStartMs: startMs,
            intervalMinutes: 15,
            nowMs: startMs + MIN15,
            netSurplusKWh: new Map(energies.members.map((m) => [m.member, m.exportKWh - m.importKWh])),
            mode,
            pool: energies.pool,
            storage: opening.storage,
          });
          const { preview } = built;

          expect(preview.interval.startMs).toBe(booked.startMs);
          expect(preview.mechanism).toBe(booked.mechanism);
          expect(preview.gridAvailable).toBe(mode === 'grid-connected');
          expect(preview.tariff).toEqual({
            importPrice: booked.prices.importPerKWh,
            exportPrice: booked.prices.exportPerKWh,
          });
          expect(preview.clearingPrice).toBe(booked.prices.clearingPerKWh);
          expect(preview.trades.map((t) => [t.seller, t.buyer, t.energyKWh, t.price])).toEqual(
            booked.market.trades,
          );
          expect(preview.welfare).toBe(booked.market.welfare);
          expect(preview.localKWh).toBe(booked.market.localKWh);
          expect([
            preview.grid.importKWh,
            preview.grid.exportKWh,
            preview.grid.importCost,
            preview.grid.exportRevenue,
            preview.grid.unservedKWh,
            preview.grid.curtailedKWh,
          ]).toEqual([
            booked.market.gridImportKWh,
            booked.market.gridExportKWh,
            booked.market.importCost,
            booked.market.exportRevenue,
            booked.market.unservedKWh,
            booked.market.curtailedKWh,
          ]);
          expect(preview.fees).toEqual(booked.market.fees);

          // Each member's market money, as the preview would have it and as the ledger bills it.
          const lines = new Map(booked.members.map((l) => [l.member, l]));
          for (const m of built.members) {
            const line = lines.get(m.member);
            expect(line, `member ${m.member} is billed`).toBeDefined();
            expect({
              boughtKWh: m.boughtKWh,
              soldKWh: m.soldKWh,
              energyCost: m.energyCost,
              energyRevenue: m.energyRevenue,
              gridImportKWh: m.gridImportKWh,
              gridExportKWh: m.gridExportKWh,
              gridCost: m.gridCost,
              gridRevenue: m.gridRevenue,
              unservedKWh: m.unservedKWh,
              curtailedKWh: m.curtailedKWh,
              fees: m.fees,
            }).toEqual({
              boughtKWh: line!.boughtKWh,
              soldKWh: line!.soldKWh,
              energyCost: line!.energyCost,
              energyRevenue: line!.energyRevenue,
              gridImportKWh: line!.gridImportKWh,
              gridExportKWh: line!.gridExportKWh,
              gridCost: line!.gridCost,
              gridRevenue: line!.gridRevenue,
              unservedKWh: line!.unservedKWh,
              curtailedKWh: line!.curtailedKWh,
              fees: line!.fees,
            });
          }
          // And nobody is billed market money the preview does not show.
          const shown = new Set(built.members.map((m) => m.member));
          for (const line of booked.members)
            if (!shown.has(line.member))
              expect(
                line.energyCost + line.energyRevenue + line.gridCost + line.gridRevenue + line.fees,
              ).toBe(0);
        });
        fc.assert(property, { numRuns: 25, seed: presetIds.indexOf(preset) * 31 + modes.indexOf(mode) });
      });
});

describe('the interval market, worked by hand', () => {
  // Two households of the demo village, at 12:00 Lisbon summer time (11:00 UTC): the
  // tariff's 07:00–18:00 period, import 0.26 and export 0.06 per kWh.
  const site = smallSite('brazil-community', ['h01', 'h02']);
  const setup = intervalMarketSetup(site);
  const startMs = Date.parse('2026-06-01T11:00:00Z');

  it('clears against the grid in a grid-connected interval even where the preset has no fallback', () => {
    // h02 draws 2 kWh, h01 has nothing to sell: with the grid, all 2 kWh are imported at 0.26.
    const market = intervalMarket(setup, {
      startMs,
      minutes: 15,
      mode: 'grid-connected',
      netKWh: new Map([
        ['h01', 0],
        ['h02', -2],
      ]),
      pool: IDLE_POOL,
      storage: null,
    });
    expect(setup.market.preset.fallback).toBe('none');
    expect(market.result.grid.importKWh).toBeCloseTo(2, 12);
    expect(market.result.grid.importCost).toBeCloseTo(0.52, 12);
    expect(market.result.grid.unservedKWh).toBe(0);
  });

  it('leaves the demand unserved when the controller ran the site islanded', () => {
    const market = intervalMarket(setup, {
      startMs,
      minutes: 15,
      mode: 'islanded',
      netKWh: new Map([['h02', -2]]),
      pool: IDLE_POOL,
      storage: null,
    });
    expect(market.gridAvailable).toBe(false);
    expect(market.result.grid.importKWh).toBe(0);
    expect(market.result.grid.unservedKWh).toBeCloseTo(2, 12);
  });

  it('clears only what the pool did not supply', () => {
    // The pool discharged 1.5 kWh; h02's 2 kWh deficit is the only one, so the pool served 1.5 kWh
    // of it and 0.5 kWh is left to import (0.5 × 0.26 = 0.13).
    const market = intervalMarket(setup, {
      startMs,
      minutes: 15,
      mode: 'grid-connected',
      netKWh: new Map([['h02', -2]]),
      pool: { ...IDLE_POOL, dischargedKWh: 1.5 },
      storage: null,
    });
    expect(market.pool.members.get('h02')?.fromPoolKWh).toBeCloseTo(1.5, 12);
    expect(market.input.orders).toEqual([expect.objectContaining({ member: 'h02', side: 'buy' })]);
    expect(market.input.orders[0]!.energyKWh).toBeCloseTo(0.5, 12);
    expect(market.result.grid.importCost).toBeCloseTo(0.13, 12);
  });
});
