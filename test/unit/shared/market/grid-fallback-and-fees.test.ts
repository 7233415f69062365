// The grid as fallback and the monthly fee's share of an interval, against values worked by hand:
// which tariff period holds at a local time (boundaries, a period past midnight, a gap), what the
// grid takes of each order, and an interval's fraction of its month.
import { describe, expect, it } from 'vitest';
import { monthFraction } from '../../../../shared/market/fees.ts';
import { gridFallback, tariffAt, type TimeOfUseTariff } from '../../../../shared/market/grid-fallback.ts';

// The demo village's tariff; Lisbon is UTC+1 in June.
const demoTariff: TimeOfUseTariff = {
  periods: [
    { from: '00:00', to: '07:00', importPricePerKWh: 0.16, exportPricePerKWh: 0.05 },
    { from: '07:00', to: '18:00', importPricePerKWh: 0.26, exportPricePerKWh: 0.06 },
    { from: '18:00', to: '22:00', importPricePerKWh: 0.34, exportPricePerKWh: 0.06 },
    { from: '22:00', to: '00:00', importPricePerKWh: 0.2, exportPricePerKWh: 0.05 },
  ],
};
const at = (hhmm: string) => Date.parse(`2026-06-10T${hhmm}:00+01:00`);
const zone = 'Europe/Lisbon';

describe('tariffAt', () => {
  it('takes the period a local time falls in, `from` inclusive and `to` exclusive', () => {
    const importAt = (hhmm: string) => tariffAt(demoTariff, at(hhmm), zone).importPrice;
    expect(importAt('00:00')).toBe(0.16);
    expect(importAt('06:59')).toBe(0.16);
    expect(importAt('07:00')).toBe(0.26);
    expect(importAt('17:59')).toBe(0.26);
    expect(importAt('18:00')).toBe(0.34);
    expect(importAt('21:59')).toBe(0.34);
    expect(importAt('22:00')).toBe(0.2);
    expect(importAt('23:59')).toBe(0.2);
    expect(tariffAt(demoTariff, at('12:00'), zone)).toEqual({ importPrice: 0.26, exportPrice: 0.06 });
    // 10:00 in Lisbon is 09:00 UTC: read in UTC it would still be 0.26, but 07:30 local is 06:30
    // UTC, where the UTC reading would give the night price.
    expect(importAt('07:30')).toBe(0.26);
  });

  it('runs a period whose end is not after its start past midnight', () => {
    const nightAndDay: TimeOfUseTariff = {
      periods: [
        { from: '22:00', to: '06:00', importPricePerKWh: 0.1, exportPricePerKWh: 0.02 },
        { from: '06:00', to: '22:00', importPricePerKWh: 0.3, exportPricePerKWh: 0.07 },
      ],
    };
    const importAt = (hhmm: string) => tariffAt(nightAndDay, at(hhmm), zone).importPrice;
    expect(importAt('23:00')).toBe(0.1);
    expect(importAt('00:00')).toBe(0.1);
    expect(importAt('05:59')).toBe(0.1);
    expect(importAt('06:00')).toBe(0.3);
    expect(importAt('21:59')).toBe(0.3);
    expect(importAt('22:00')).toBe(0.1);
  });

  it('names the uncovered local time and the zone when the periods leave a gap', () => {
    const gap: TimeOfUseTariff = {
      periods: [{ from: '08:00', to: '20:00', importPricePerKWh: 0.3, exportPricePerKWh: 0.07 }],
    };
    expect(() => tariffAt(gap, at('07:05'), zone)).toThrow(
      'tariff: no period covers local time 07:05 in Europe/Lisbon; periods must cover the day',
    );
    expect(() => tariffAt(gap, at('20:00'), zone)).toThrow(/local time 20:00/);
    expect(tariffAt(gap, at('08:00'), zone).importPrice).toBe(0.3);
  });
});

describe('gridFallback', () => {
  // Orders: sell 2 kWh left over, buy 3 kWh left over, a sell fully traded, a buy with nothing left.
  const isSell = Uint8Array.from([1, 0, 1, 0]);
  const residual = Float64Array.from([2, 3, 0, -1]);

  it('exports what sellers have left and imports what buyers lack, at the tariff', () => {
    const { exchange, perOrder } = gridFallback(isSell, residual, { importPrice: 0.3, exportPrice: 0.1 });
    // Export 2 kWh × 0.1 = 0.2; import 3 kWh × 0.3 = 0.9.
    expect(exchange).toEqual({
      available: true,
      importKWh: 3,
      exportKWh: 2,
      importCost: expect.closeTo(0.9, 12),
      exportRevenue: expect.closeTo(0.2, 12),
      unservedKWh: 0,
      curtailedKWh: 0,
    });
    expect([...perOrder.gridKWh]).toEqual([2, 3, 0, 0]);
    expect([...perOrder.strandedKWh]).toEqual([0, 0, 0, 0]);
  });

  it('without a grid, curtails the surplus and leaves the demand unserved', () => {
    const { exchange, perOrder } = gridFallback(isSell, residual, undefined);
    expect(exchange).toEqual({
      available: false,
      importKWh: 0,
      exportKWh: 0,
      importCost: 0,
      exportRevenue: 0,
      unservedKWh: 3,
      curtailedKWh: 2,
    });
    expect([...perOrder.gridKWh]).toEqual([0, 0, 0, 0]);
    expect([...perOrder.strandedKWh]).toEqual([2, 3, 0, 0]);
  });
});

describe('monthFraction', () => {
  it('is the interval over the minutes of its UTC month', () => {
    // June: 30 × 1440 = 43,200 minutes; 15 / 43,200. February 2026: 28 × 1440 = 40,320.
    // February 2028 (leap): 29 × 1440 = 41,760. December: 31 × 1440 = 44,640.
    expect(monthFraction('2026-06-10T10:00:00+01:00', 15)).toBeCloseTo(15 / 43_200, 15);
    expect(monthFraction('2026-02-03T00:00:00Z', 15)).toBeCloseTo(15 / 40_320, 15);
    expect(monthFraction('2028-02-03T00:00:00Z', 60)).toBeCloseTo(60 / 41_760, 15);
    expect(monthFraction('2026-12-31T23:45:00Z', 15)).toBeCloseTo(15 / 44_640, 15);
    // 00:30 on 1 July in Lisbon is still 30 June in UTC.
    expect(monthFraction('2026-07-01T00:30:00+01:00', 15)).toBeCloseTo(15 / 43_200, 15);
    expect(monthFraction('2026-07-31T00:30:00+01:00', 15)).toBeCloseTo(15 / 44_640, 15);
  });
});
