// The essential reserve against figures worked by hand, not recomputed with the forecast itself.
// A school member of 8683.35 kWh a year draws exactly its profile's raw hourly weight in kW: the
// profile is scaled to mean 1 (the raw school weights sum to 23.79, mean 23.79 / 24 = 0.99125), and
// 8683.35 / 8760 = 0.99125, so powerKW = 0.99125 × raw / 0.99125 = raw.
import { describe, expect, it } from 'vitest';
import {
  essentialMembers,
  hasLoad,
  LoadForecast,
  poolCapacityKWh,
} from '../../../../electron/control/reserve-sizing.ts';
import type { Member, SiteFile } from '../../../../shared/site/schema.ts';
import { demoSite } from '../../../fixtures/demo-site.ts';

const demo = demoSite();
const clinic = demo.members.find((m) => m.id === 'clinic')!;
// Europe/Lisbon is UTC+1 in June: local hours below are written with their offset.
const at = (localTime: string): number => Date.parse(`2026-06-21T${localTime}+01:00`);

function member(over: Partial<Member>): Member {
  return { ...clinic, ...over };
}

function siteWith(members: Member[], over: Partial<SiteFile> = {}): SiteFile {
  return { ...demo, members, ...over };
}

const school = member({
  id: 'school-only',
  profile: 'school',
  annualConsumptionKWh: 8683.35,
  priorityTier: 0,
});
const schoolSite = siteWith([school]);

describe('reserve sizing: which members count', () => {
  it('counts a member with a profile and a consumption, and no other', () => {
    expect(hasLoad(member({ profile: 'clinic', annualConsumptionKWh: 1 }))).toBe(true);
    expect(hasLoad(member({ profile: 'none', annualConsumptionKWh: 9000 }))).toBe(false);
    expect(hasLoad(member({ profile: 'clinic', annualConsumptionKWh: 0 }))).toBe(false);
  });

  it('takes only tier-0 members with a load as essential', () => {
    const site = siteWith([
      member({ id: 'a', priorityTier: 0 }),
      member({ id: 'b', priorityTier: 1 }),
      member({ id: 'c', priorityTier: 0, profile: 'none' }),
      member({ id: 'd', priorityTier: 0, annualConsumptionKWh: 0 }),
    ]);
    expect(essentialMembers(site).map((m) => m.id)).toEqual(['a']);
  });

  it('sums the capacity of the pool inverters it can find', () => {
    // Demo pool: battery-1 100 kWh + battery-2 100 kWh.
    expect(poolCapacityKWh(demo)).toBe(200);
    const unknownInverter = siteWith(demo.members, {
      batteryPool: { ...demo.batteryPool!, inverters: ['battery-1', 'no-such-inverter'] },
    });
    expect(poolCapacityKWh(unknownInverter)).toBe(100);
    const noPool = siteWith(demo.members);
    delete (noPool as { batteryPool?: unknown }).batteryPool;
    expect(poolCapacityKWh(noPool)).toBe(0);
  });
});

describe('reserve sizing: the load forecast', () => {
  const forecast = new LoadForecast(schoolSite);

  it('reads the profile at the local hour, linear between hours', () => {
    // 07:00 raw 1.6, 08:00 raw 2.4: 07:30 is halfway, (1.6 + 2.4) / 2 = 2.0 kW.
    expect(forecast.powerKW([school], at('07:30:00'))).toBeCloseTo(2.0, 9);
    // Night: raw 0.2 from 00:00 to 04:00.
    expect(forecast.powerKW([school], at('02:00:00'))).toBeCloseTo(0.2, 9);
  });

  it('integrates the forecast over the window that starts at fromMs', () => {
    // 06:00–10:00, raw 0.4, 1.6, 2.4, 2.5, 2.5 on the hours; each quarter-hour step lies inside one
    // hour, where the curve is a line, so the midpoint rule is exact: trapezoids
    // (0.4+1.6)/2 + (1.6+2.4)/2 + (2.4+2.5)/2 + (2.5+2.5)/2 = 1.0 + 2.0 + 2.45 + 2.5 = 7.95 kWh.
    expect(forecast.energyKWh([school], at('06:00:00'), 4)).toBeCloseTo(7.95, 9);
    // 07:00–08:00: (1.6 + 2.4) / 2 × 1 h = 2.0 kWh.
    expect(forecast.energyKWh([school], at('07:00:00'), 1)).toBeCloseTo(2.0, 9);
    // 07:00–07:30 in two steps: midpoints 07:07:30 (1.6 + 0.8 × 0.125 = 1.7) and 07:22:30
    // (1.6 + 0.8 × 0.375 = 1.9): (1.7 + 1.9) × 0.25 h = 0.9 kWh.
    expect(forecast.energyKWh([school], at('07:00:00'), 0.5)).toBeCloseTo(0.9, 9);
    // Six minutes round to no quarter-hour step, so one step: its midpoint 07:03 is
    // 1.6 + 0.8 × 0.05 = 1.64 kW, × 0.1 h = 0.164 kWh.
    expect(forecast.energyKWh([school], at('07:00:00'), 0.1)).toBeCloseTo(0.164, 9);
  });
});

describe('reserve sizing: the essential reserve', () => {
  it('keeps one day of the demo village essential loads', () => {
    // Over a whole day from a whole hour the exact integral of each mean-1 profile is 24 h × mean
    // power, so the day is annual / 365: (9000 + 6000 + 7000) / 365 = 60.2739726 kWh.
    // As SoC: 0.07 + 60.2739726 / 0.95 / 200 kWh = 0.07 + 0.3172314 = 0.3872314.
    const r = new LoadForecast(demo).essentialReserve(at('20:00:00'), 24, 0.07);
    expect(r.kWh).toBeCloseTo(60.2739726, 6);
    expect(r.soc).toBeCloseTo(0.3872314, 6);
    // With a 1.3 margin: 78.3561644 kWh, 0.07 + 78.3561644 / 0.95 / 200 = 0.4824009.
    const m = new LoadForecast(demo).essentialReserve(at('20:00:00'), 24, 0.07, 1.3);
    expect(m.kWh).toBeCloseTo(78.3561644, 6);
    expect(m.soc).toBeCloseTo(0.4824009, 6);
  });

  it('sizes the reserve of the next hours at the floor of the pool', () => {
    // School only, 06:00–10:00: 7.95 kWh (above); 0.1 + 7.95 / 0.95 / 200 = 0.1 + 0.0418421 = 0.1418421.
    const r = new LoadForecast(schoolSite).essentialReserve(at('06:00:00'), 4, 0.1);
    expect(r.kWh).toBeCloseTo(7.95, 9);
    expect(r.soc).toBeCloseTo(0.1418421, 6);
  });

  it('caps the SoC at a full pool, and asks for a full pool when there is none', () => {
    // One 100 kWh inverter: 0.5 + 60.2739726 / 0.95 / 100 = 1.134 > 1, so 1.
    const small = siteWith(demo.members, { batteryPool: { ...demo.batteryPool!, inverters: ['battery-1'] } });
    const capped = new LoadForecast(small).essentialReserve(at('20:00:00'), 24, 0.5);
    expect(capped.kWh).toBeCloseTo(60.2739726, 6);
    expect(capped.soc).toBe(1);
    const none = siteWith(demo.members, { batteryPool: { ...demo.batteryPool!, inverters: [] } });
    const r = new LoadForecast(none).essentialReserve(at('20:00:00'), 24, 0.07);
    expect(r.soc).toBe(1);
    expect(Number.isFinite(r.kWh)).toBe(true);
  });
});
