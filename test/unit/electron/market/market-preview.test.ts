// The market preview's back end without sockets: the interval's energy estimated from sampled
// power, the site's market settings applied over its preset, the checks only the whole site can
// make, and a preview built for the demo village whose curves and trades agree with each other.
import { describe, expect, it } from 'vitest';
import { buildPreview } from '../../../../electron/market/preview-builder.ts';
import type { IntervalMode } from '../../../../shared/settlement/interval-energy.ts';
import { intervalStartMs } from '../../../../shared/time/zone.ts';
import { IntervalEnergyEstimate } from '../../../../electron/market/preview-interval-energy.ts';
import { effectiveMarket, marketSettingsFindings } from '../../../../shared/market/site-settings.ts';
import { IDLE_POOL, intervalMarket, intervalMarketSetup } from '../../../../shared/market/interval-market.ts';
import { marketNetwork, marketPresets } from '../../../../shared/market/index.ts';
import { marketSettingsSchema, type SiteFile } from '../../../../shared/site/schema.ts';
import { validateSite } from '../../../../shared/site/validate-site.ts';
import { demoSite, demoSiteJson } from '../../../fixtures/demo-site.ts';

const MIN = 60_000;
const HOUR = 60 * MIN;

function withMarket(site: SiteFile, market: Record<string, unknown>): SiteFile {
  return { ...site, market: marketSettingsSchema.parse(market) };
}

describe('interval energy estimate', () => {
  it('integrates sampled power and extrapolates the rest at the latest power', () => {
    const e = new IntervalEnergyEstimate();
    e.begin(0, 15 * MIN);
    // Importing 4 kW for the first five minutes, then 2 kW: the rest is taken at 2 kW.
    e.sample(0, new Map([['a', 4]]));
    e.sample(5 * MIN, new Map([['a', 4]]));
    e.sample(5 * MIN + 1, new Map([['a', 2]]));
    const expectedImportKWh = 4 * (5 / 60) + ((4 + 2) / 2) * (1 / HOUR) + 2 * ((10 * MIN - 1) / HOUR);
    expect(e.netSurplusKWh().get('a')).toBeCloseTo(-expectedImportKWh, 9);
  });

  it('counts the time before a member’s first sample at that sample’s power', () => {
    const e = new IntervalEnergyEstimate();
    e.begin(0, 15 * MIN);
    e.sample(6 * MIN, new Map([['pv', -3]]));
    // An exporter of 3 kW for the whole quarter hour has 0.75 kWh of surplus.
    expect(e.netSurplusKWh().get('pv')).toBeCloseTo(0.75, 9);
  });

  it('integrates the pool’s charge and discharge apart', () => {
    const e = new IntervalEnergyEstimate();
    e.begin(0, 15 * MIN);
    // Charging at 4 kW for five minutes, then by 10 min discharging at 2 kW (positive discharges),
    // which is taken for the last five minutes; an unknown reading in between is skipped.
    e.samplePool(0, -4);
    e.samplePool(5 * MIN, -4);
    e.samplePool(7 * MIN, null);
    e.samplePool(10 * MIN, 2);
    // Charge: 4 kW × 5 min (1/3 kWh) + the ramp 4 → 0 kW over 5 min (1/6 kWh) = 0.5 kWh.
    // Discharge: the ramp 0 → 2 kW over 5 min (1/12 kWh) + 2 kW × 5 min (1/6 kWh) = 0.25 kWh.
    expect(e.poolKWh().chargedKWh).toBeCloseTo(0.5, 12);
    expect(e.poolKWh().dischargedKWh).toBeCloseTo(0.25, 12);
    e.begin(15 * MIN, 30 * MIN);
    expect(e.poolKWh()).toEqual({ chargedKWh: 0, dischargedKWh: 0 });
  });

  it('leaves out members without a good reading and forgets the last interval', () => {
    const e = new IntervalEnergyEstimate();
    e.begin(0, 15 * MIN);
    e.sample(
      MIN,
      new Map<string, number | null>([
        ['a', 1],
        ['b', null],
        ['c', Number.NaN],
      ]),
    );
    expect([...e.netSurplusKWh().keys()]).toEqual(['a']);
    e.begin(15 * MIN, 30 * MIN);
    expect(e.netSurplusKWh().size).toBe(0);
  });
});

describe('interval start', () => {
  it('aligns to the site’s wall clock, also where the offset is not whole hours', () => {
    const t = Date.parse('2026-06-01T12:52:00Z');
    expect(intervalStartMs(t, 15, 'Europe/Lisbon')).toBe(Date.parse('2026-06-01T12:45:00Z'));
    // Kolkata is UTC+05:30: hourly intervals start at 18:00 local, 12:30 UTC.
    expect(intervalStartMs(t, 60, 'Asia/Kolkata')).toBe(Date.parse('2026-06-01T12:30:00Z'));
    expect(intervalStartMs(t, 60, 'UTC')).toBe(Date.parse('2026-06-01T12:00:00Z'));
  });
});

describe('effective market', () => {
  it('is the preset where the site overrides nothing', () => {
    const market = effectiveMarket(marketSettingsSchema.parse({ preset: 'sonnen' }));
    expect(market.preset.mechanism).toBe(marketPresets.sonnen.mechanism);
    expect(market.preset.fees).toEqual(marketPresets.sonnen.fees);
    expect(market.overridden).toEqual([]);
  });

  it('applies each override and names it, keeping the preset’s other settings', () => {
    const market = effectiveMarket(
      marketSettingsSchema.parse({
        preset: 'brooklyn',
        mechanism: 'fixed-rate',
        fees: { networkPerKWh: 0.013 },
        fixedRate: { members: ['h01'], rest: 'uniform' },
        members: { h01: { bidPricePerKWh: 0.33 } },
      }),
    );
    expect(market.preset.fees.networkPerKWh).toBe(0.013);
    expect(market.preset.fees.dsoShare).toBe(marketPresets.brooklyn.fees.dsoShare);
    expect(market.preset.fixedRate?.rest).toBe('uniform');
    expect(market.preset.fixedRate?.categories).toEqual(marketPresets.brooklyn.fixedRate?.categories);
    expect(market.designatedMembers).toEqual(['h01']);
    expect(market.overridden.sort()).toEqual(
      ['fees.networkPerKWh', 'fixedRate.members', 'fixedRate.rest', 'members.h01'].sort(),
    );
  });

  it('serves designated members at the fixed rate and applies standing bids', () => {
    const market = effectiveMarket(
      marketSettingsSchema.parse({
        preset: 'brooklyn',
        fixedRate: { members: ['h02'], price: { perKWh: 0.2 } },
        members: { h03: { bidPricePerKWh: 0.21 } },
      }),
    );
    const site = demoSite();
    const seller = site.members.find((m) => m.pvKWp > 0 && m.id !== 'h02' && m.id !== 'h03')!;
    const { input } = intervalMarket(intervalMarketSetup(site, market), {
      startMs: Date.parse('2026-06-01T11:00:00Z'),
      minutes: 15,
      mode: 'grid-connected',
      netKWh: new Map([
        [seller.id, 3],
        ['h02', -1],
        ['h03', -1],
      ]),
      pool: IDLE_POOL,
      storage: null,
    });
    expect(input.fixedRate?.members).toEqual(['h02']);
    expect(input.fixedRate?.price).toBe(0.2);
    const bid = (member: string) => input.orders.find((o) => o.member === member)!.price;
    expect(bid('h02')).toBeGreaterThanOrEqual(0.2);
    expect(bid('h03')).toBe(0.21);
  });
});

describe('market block of the site file', () => {
  const problemsOf = (market: Record<string, unknown>) => {
    const result = validateSite({ ...demoSiteJson(), market });
    return result.ok ? [] : result.problems;
  };

  it('asks for the price a chosen mechanism needs when the preset has none', () => {
    expect(problemsOf({ preset: 'piclo', mechanism: 'fixed-rate' })).toEqual([
      expect.objectContaining({
        path: 'market.fixedRate.price',
        message: expect.stringContaining("preset 'piclo'"),
      }),
    ]);
    expect(problemsOf({ preset: 'piclo', mechanism: 'community' })).toEqual([
      expect.objectContaining({ path: 'market.community.price' }),
    ]);
    expect(
      problemsOf({ preset: 'piclo', mechanism: 'fixed-rate', fixedRate: { price: { perKWh: 0.12 } } }),
    ).toEqual([]);
    expect(problemsOf({ preset: 'sonnen', mechanism: 'hybrid' })).toEqual([]);
  });

  it('names a bad preset, price rule or fee by its path', () => {
    const paths = problemsOf({
      preset: 'tesla',
      pricing: { offer: { gridSpreadFraction: 1.5 } },
      fees: { dsoShare: -0.1 },
    }).map((p) => p.path);
    expect(paths).toEqual(expect.arrayContaining(['market.preset', 'market.fees.dsoShare']));
    expect(paths.some((p) => p.startsWith('market.pricing.offer'))).toBe(true);
  });

  it('refuses an unknown key in the block with its path, and keeps the blocks other parts own', () => {
    const typo = validateSite({
      ...demoSiteJson(),
      market: { preset: 'sonnen', laterPart: { enabled: true } },
    });
    expect(typo.ok).toBe(false);
    if (!typo.ok) expect(typo.problems.map((p) => p.path)).toContain('market.laterPart');
    const storage = validateSite({
      ...demoSiteJson(),
      market: {
        preset: 'sonnen',
        virtualStorage: { allowance: { kWhPerYear: 100, paybackPricePerKWh: 0.1 } },
      },
    });
    expect(storage.ok && storage.value.market.virtualStorage).toBeTruthy();
  });
});

describe('market settings findings', () => {
  const site = demoSite();

  it('finds nothing wrong with the demo village', () => {
    expect(marketSettingsFindings(site)).toEqual({ problems: [], warnings: [] });
  });

  it('refuses unknown members, by JSON path', () => {
    const findings = marketSettingsFindings(
      withMarket(site, {
        preset: 'powerpeers',
        fixedRate: { members: ['clinic', 'nobody'] },
        members: {
          ghost: { bidPricePerKWh: 0.2 },
          h01: { preferences: { producers: ['clinic', 'clinic', 'h01', 'nowhere'] } },
        },
      }),
    );
    expect(findings.problems).toEqual(
      expect.arrayContaining([
        { path: 'market.fixedRate.members[1]', message: "unknown member 'nobody'" },
        expect.objectContaining({ path: 'market.members.ghost' }),
        expect.objectContaining({ path: 'market.members.h01.preferences.producers[1]' }),
        { path: 'market.members.h01.preferences.producers[2]', message: 'a member cannot prefer itself' },
        { path: 'market.members.h01.preferences.producers[3]', message: "unknown member 'nowhere'" },
      ]),
    );
    expect(findings.problems).toHaveLength(5);
  });

  it('warns of settings the mechanism ignores', () => {
    const findings = marketSettingsFindings(
      withMarket(site, {
        preset: 'piclo',
        mechanism: 'uniform',
        community: { sharing: 'equal' },
        fixedRate: { categories: ['essential'] },
      }),
    );
    expect(findings.problems).toEqual([]);
    expect(findings.warnings.map((w) => w.path).sort()).toEqual(
      ['market.community', 'market.fixedRate'].sort(),
    );
    // An unknown key no longer reaches the findings: the schema refuses it first.
    expect(() => withMarket(site, { preset: 'piclo', feez: {} })).toThrow(/feez/);
  });
});

describe('preview of the demo village', () => {
  const site = demoSite();
  const startMs = Date.parse('2026-06-01T11:00:00Z');

  // Midday in June: PV members have a surplus, the rest draw; a few have no reading yet.
  function surpluses(): Map<string, number> {
    const out = new Map<string, number>();
    site.members.forEach((m, i) => {
      if (i % 9 === 8) return;
      out.set(m.id, m.pvKWp > 0 ? m.pvKWp * 0.15 - 0.1 : -(0.15 + (i % 5) * 0.05));
    });
    return out;
  }

  function build(market: Record<string, unknown>, mode: IntervalMode = 'grid-connected') {
    const withSettings = withMarket(site, market);
    return buildPreview({
      site: withSettings,
      market: effectiveMarket(withSettings.market),
      intervalStartMs: startMs,
      intervalMinutes: 15,
      nowMs: startMs + 5 * MIN,
      netSurplusKWh: surpluses(),
      mode,
    });
  }

  it('draws curves that hold every order, sorted, and agree with the trades', () => {
    const { preview, input } = build({ preset: 'piclo', mechanism: 'uniform' });
    expect(preview.supply.length + preview.demand.length).toBe(input.orders.length);
    expect(preview.unmetered).toHaveLength(site.members.length - surpluses().size);
    for (const [curve, rising] of [
      [preview.supply, true],
      [preview.demand, false],
    ] as const) {
      curve.forEach((step, i) => {
        expect(step.toKWh - step.fromKWh).toBeCloseTo(step.energyKWh, 12);
        expect(step.tradedKWh).toBeLessThanOrEqual(step.energyKWh + 1e-9);
        if (i === 0) return;
        expect(step.fromKWh).toBe(curve[i - 1]!.toKWh);
        const before = curve[i - 1]!.pricePerKWh;
        expect(rising ? step.pricePerKWh >= before : step.pricePerKWh <= before).toBe(true);
      });
      const traded = curve.reduce((sum, s) => sum + s.tradedKWh, 0);
      expect(traded).toBeCloseTo(preview.localKWh, 9);
    }
    expect(preview.trades.reduce((sum, t) => sum + t.energyKWh, 0)).toBeCloseTo(preview.localKWh, 9);
    expect(preview.localKWh).toBeGreaterThan(0);
    expect(preview.interval.start).toBe('2026-06-01T12:00:00+01:00');
    expect(preview.interval.elapsedFraction).toBeCloseTo(1 / 3, 9);
    expect(preview.timing.buildMs).toBeGreaterThanOrEqual(preview.timing.clearMs);
  });

  it('prices every uniform trade at the clearing price, between the marginal offer and bid', () => {
    const { preview } = build({ preset: 'piclo', mechanism: 'uniform' });
    expect(preview.clearingPrice).not.toBeNull();
    for (const trade of preview.trades) expect(trade.price).toBeCloseTo(preview.clearingPrice!, 12);
    const accepted = (steps: typeof preview.supply) => steps.filter((s) => s.tradedKWh > 1e-9);
    const highestOffer = Math.max(...accepted(preview.supply).map((s) => s.pricePerKWh));
    const lowestBid = Math.min(...accepted(preview.demand).map((s) => s.pricePerKWh));
    expect(preview.clearingPrice!).toBeGreaterThanOrEqual(highestOffer - 1e-12);
    expect(preview.clearingPrice!).toBeLessThanOrEqual(lowestBid + 1e-12);
  });

  it('uses the site’s standing orders', () => {
    const seller = site.members.find((m) => m.pvKWp > 0 && surpluses().get(m.id)! > 0)!;
    const { preview } = build({
      preset: 'powerpeers',
      members: { [seller.id]: { offerPricePerKWh: 0.0123 } },
    });
    expect(marketPresets.powerpeers.pricing.producersSetPrices).toBe(true);
    expect(preview.supply.find((s) => s.member === seller.id)?.pricePerKWh).toBe(0.0123);
  });

  it('carries the zones and no single price when a full feeder splits the price', () => {
    const withSettings = withMarket(site, {
      preset: 'powerpeers',
      mechanism: 'uniform',
      // Cheap producers and frugal buyers on feeder 3, dear ones elsewhere: feeder 3's cheap
      // surplus wants out, and no one price suits both sides of its full head.
      members: Object.fromEntries(
        site.members.map((m) => {
          const onF3 = m.bus.startsWith('f3');
          return [
            m.id,
            m.pvKWp > 0 ? { offerPricePerKWh: onF3 ? 0.02 : 0.2 } : { bidPricePerKWh: onF3 ? 0.1 : 0.26 },
          ];
        }),
      ),
    });
    const network = marketNetwork(site.topology);
    // A feeder-3 head that carries 0.4 kW: 0.1 kWh in the quarter hour.
    const f3 = network.branches.find((b) => b.id === 'f3-main')!;
    f3.capacityKW = 0.4;
    const { preview, input } = buildPreview({
      site: withSettings,
      market: effectiveMarket(withSettings.market),
      network,
      intervalStartMs: startMs,
      intervalMinutes: 15,
      nowMs: startMs + 5 * MIN,
      netSurplusKWh: surpluses(),
      mode: 'grid-connected',
    });
    expect(preview.clearingPrice).toBeNull();
    expect(preview.zones.length).toBeGreaterThan(1);
    const flow = preview.branches.find((b) => b.branch === 'f3-main')!;
    expect(Math.abs(flow.energyKWh)).toBeCloseTo(flow.limitKWh!, 9);
    expect(preview.trades.length).toBeGreaterThan(0);
    // Every trade's price still lies between its offer and its bid.
    for (const trade of preview.trades) {
      const offer = input.orders.find((o) => o.member === trade.seller && o.side === 'sell')!;
      const bid = input.orders.find((o) => o.member === trade.buyer && o.side === 'buy')!;
      expect(trade.price).toBeGreaterThanOrEqual(offer.price - 1e-12);
      expect(trade.price).toBeLessThanOrEqual(bid.price + 1e-12);
    }
  });

  it('falls back to nothing when islanded: the rest is unserved or curtailed', () => {
    const { preview } = build({ preset: 'piclo', mechanism: 'uniform' }, 'islanded');
    expect(preview.gridAvailable).toBe(false);
    expect(preview.grid.importKWh).toBe(0);
    expect(preview.grid.exportKWh).toBe(0);
    const demand = preview.demand.reduce((sum, s) => sum + s.energyKWh, 0);
    const supply = preview.supply.reduce((sum, s) => sum + s.energyKWh, 0);
    expect(preview.grid.unservedKWh).toBeCloseTo(demand - preview.localKWh, 9);
    expect(preview.grid.curtailedKWh).toBeCloseTo(supply - preview.localKWh, 9);
  });
});
