// What the virtual storage reads from a site, against the demo village worked by hand: two
// 100 kWh inverters, a 4-hour reserve for the clinic (9000 kWh a year), the school (6000) and the
// water pump (7000), and each member's pool share.
import { describe, expect, it } from 'vitest';
import {
  accountCapacityKWh,
  storageSettings,
  StorageSettingsError,
} from '../../../../shared/storage/storage-settings.ts';
import type { SiteFile } from '../../../../shared/site/schema.ts';
import { demoSite } from '../../../fixtures/demo-site.ts';

const demo = demoSite();
const withMarket = (extra: Record<string, unknown>): SiteFile => ({
  ...demo,
  market: { ...demo.market, ...extra } as SiteFile['market'],
});

describe('storage settings of the demo village', () => {
  const s = storageSettings(demo);

  it('sizes the pool and the islanding reserve', () => {
    // Essential forecast: (9000 + 6000 + 7000) / 8760 = 2.5114155 kW; × 4 h = 10.0456621 kWh.
    expect(s.capacityKWh).toBe(200);
    expect(s.reserveHours).toBe(4);
    expect(s.essentialForecastKW).toBeCloseTo(2.5114155, 6);
    expect(s.reserveKWh).toBeCloseTo(10.0456621, 6);
    expect([...s.essentialMembers].sort()).toEqual(['clinic', 'school', 'water-pump']);
    expect(s.priorityTiers.get('h01')).toBe(3);
    expect(s.priorityTiers.get('clinic')).toBe(0);
    expect(s.oneWayEfficiency).toBe(0.95);
    expect(s.allowance).toBeNull();
  });

  it('reads each member share from its percentage', () => {
    // Clinic 10 %, school 6 %, shop 4 %, a household 1.5 %, community solar 14 %: 100 % in all.
    expect(s.shares.get('clinic')).toBeCloseTo(0.1, 12);
    expect(s.shares.get('shop')).toBeCloseTo(0.04, 12);
    expect(s.shares.get('h17')).toBeCloseTo(0.015, 12);
    expect([...s.shares.values()].reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
  });

  it('gives an account its share of what the reserve leaves', () => {
    // 0.10 × (200 − 10.0456621) = 18.9954338 kWh.
    expect(accountCapacityKWh(s, 'clinic', 200)).toBeCloseTo(18.9954338, 6);
    expect(accountCapacityKWh(s, 'nobody', 200)).toBe(0);
    // A pool smaller than the reserve leaves nothing to allocate.
    expect(accountCapacityKWh(s, 'clinic', 8)).toBe(0);
  });

  it('caps the reserve at the pool and leaves members without a share out', () => {
    const tiny: SiteFile = {
      ...demo,
      devices: demo.devices.map((d) => (d.id === 'battery-1' ? { ...d, capacityKWh: 4 } : d)),
      batteryPool: { ...demo.batteryPool!, inverters: ['battery-1', 'no-such-inverter'] },
      members: demo.members.map((m) =>
        m.id === 'h01'
          ? { ...m, poolSharePct: 0 }
          : m.id === 'clinic'
            ? { ...m, profile: 'none' as const }
            : m,
      ),
    };
    const t = storageSettings(tiny);
    // One 4 kWh inverter; reserve min(4, 4 h × (6000 + 7000) / 8760 = 5.9360731) = 4.
    expect(t.capacityKWh).toBe(4);
    expect(t.essentialForecastKW).toBeCloseTo(13_000 / 8760, 9);
    expect(t.reserveKWh).toBe(4);
    expect(t.shares.has('h01')).toBe(false);
    expect([...t.essentialMembers].sort()).toEqual(['school', 'water-pump']);
  });

  it('has no pool, reserve or capacity on a site without a battery pool', () => {
    const none = { ...demo } as SiteFile;
    delete (none as { batteryPool?: unknown }).batteryPool;
    const n = storageSettings(none);
    expect([n.capacityKWh, n.reserveHours, n.reserveKWh]).toEqual([0, 0, 0]);
  });
});

describe('storage settings from market.virtualStorage', () => {
  it('grants the allowance to members with a share, or to all when asked', () => {
    const site = {
      ...withMarket({ virtualStorage: { allowance: { kWhPerYear: 100, paybackPricePerKWh: 0.1 } } }),
      members: demo.members.map((m) => (m.id === 'h01' ? { ...m, poolSharePct: 0 } : m)),
    };
    const a = storageSettings(site).allowance!;
    expect(a.kWhPerYear).toBe(100);
    expect(a.paybackPricePerKWh).toBe(0.1);
    expect(a.members.has('h01')).toBe(false);
    expect(a.members.has('h02')).toBe(true);
    expect(a.members.size).toBe(demo.members.length - 1);
    const all = storageSettings({
      ...site,
      market: {
        ...site.market,
        virtualStorage: {
          allowance: { kWhPerYear: 100, paybackPricePerKWh: 0.1, includeMembersWithoutShare: true },
        },
      } as SiteFile['market'],
    }).allowance!;
    expect(all.members.has('h01')).toBe(true);
    expect(all.members.size).toBe(demo.members.length);
  });

  it('takes a one-way efficiency for estimates', () => {
    expect(storageSettings(withMarket({ virtualStorage: { oneWayEfficiency: 0.9 } })).oneWayEfficiency).toBe(
      0.9,
    );
  });

  it('refuses a bad block, naming the JSON path', () => {
    const bad = () => storageSettings(withMarket({ virtualStorage: { oneWayEfficiency: 1.5 } }));
    expect(bad).toThrow(StorageSettingsError);
    expect(bad).toThrow(/^site file: .*market\.virtualStorage\.oneWayEfficiency/);
    try {
      bad();
    } catch (error) {
      expect((error as Error).name).toBe('StorageSettingsError');
    }
    expect(() =>
      storageSettings(
        withMarket({ virtualStorage: { allowance: { kWhPerYear: -1, paybackPricePerKWh: 0 } } }),
      ),
    ).toThrow(/market\.virtualStorage\.allowance\.kWhPerYear/);
  });
});
