// The virtual storage's splitting rule and the yearly allowance, against values worked by hand.
import { describe, expect, it } from 'vitest';
import {
  closeAllowanceYear,
  openAllowanceYear,
  useAllowance,
  yearStartMs,
} from '../../../../shared/storage/allowance.ts';
import { shareByTier, shareProRata } from '../../../../shared/storage/pro-rata.ts';
import { localYear } from '../../../../shared/time/zone.ts';

const m = (entries: Record<string, number>) => new Map(Object.entries(entries));
const obj = (map: Map<string, number>) => Object.fromEntries(map);

describe('shareProRata', () => {
  it('splits in proportion to the weights', () => {
    // 12 over weights 1, 2, 3 (total 6): 2, 4, 6.
    const s = shareProRata(12, m({ a: 1, b: 2, c: 3 }));
    expect(obj(s.parts)).toEqual({ a: 2, b: 4, c: 6 });
    expect(s.leftover).toBe(0);
  });

  it('shares again what a capped holder cannot take', () => {
    // 12 over 1, 2, 3 with c capped at 3: first pass a 2, b 4, c 3 (wanted 6): 3 left, a and b
    // open with weights 1 and 2: a +1, b +2. Final a 3, b 6, c 3.
    const s = shareProRata(12, m({ a: 1, b: 2, c: 3 }), m({ c: 3 }));
    expect(s.parts.get('a')).toBeCloseTo(3, 12);
    expect(s.parts.get('b')).toBeCloseTo(6, 12);
    expect(s.parts.get('c')).toBeCloseTo(3, 12);
    expect(s.leftover).toBe(0);
  });

  it('leaves over what no holder has room for', () => {
    // 10 over two holders capped at 2 and 3: 5 left over.
    const s = shareProRata(10, m({ a: 1, b: 1 }), m({ a: 2, b: 3 }));
    expect(obj(s.parts)).toEqual({ a: 2, b: 3 });
    expect(s.leftover).toBeCloseTo(5, 12);
  });

  it('gives nothing to a zero weight, and nothing of nothing', () => {
    const s = shareProRata(6, m({ a: 0, b: 2 }));
    expect(obj(s.parts)).toEqual({ b: 6 });
    const none = shareProRata(0, m({ a: 1 }));
    expect(obj(none.parts)).toEqual({});
    expect(none.leftover).toBe(0);
    const nobody = shareProRata(4, m({ a: 0 }));
    expect(nobody.leftover).toBe(4);
  });

  it('gives a holder at its cap nothing more, and a cap of zero nothing at all', () => {
    const s = shareProRata(4, m({ a: 1, b: 1 }), m({ a: 0 }));
    expect(s.parts.get('a')).toBe(0);
    expect(s.parts.get('b')).toBe(4);
  });
});

describe('shareByTier', () => {
  it('serves the lowest tier first, pro rata to demand within it, up to demand', () => {
    // 5 kWh; tier 0 wants 1 + 2 = 3 (all of it), tier 1 wants 2 + 6 = 8: the 2 left split 1:3.
    const tier = (k: string) => (k.startsWith('e') ? 0 : 1);
    const s = shareByTier(5, m({ h1: 2, e1: 1, h2: 6, e2: 2 }), tier);
    expect(s.parts.get('e1')).toBeCloseTo(1, 12);
    expect(s.parts.get('e2')).toBeCloseTo(2, 12);
    expect(s.parts.get('h1')).toBeCloseTo(0.5, 12);
    expect(s.parts.get('h2')).toBeCloseTo(1.5, 12);
    expect(s.leftover).toBeCloseTo(0, 12);
  });

  it('leaves over what exceeds every demand, and stops once the amount is gone', () => {
    const tier = (k: string) => Number(k.slice(1));
    const s = shareByTier(10, m({ t2: 3, t0: 1 }), tier);
    expect(obj(s.parts)).toEqual({ t0: 1, t2: 3 });
    expect(s.leftover).toBeCloseTo(6, 12);
    const short = shareByTier(1, m({ t0: 1, t1: 5 }), tier);
    expect(obj(short.parts)).toEqual({ t0: 1 });
  });
});

describe('yearly allowance', () => {
  const zone = 'Europe/Lisbon';
  const settings = { kWhPerYear: 365, paybackPricePerKWh: 0.1, members: new Set(['b', 'a']) };

  it('begins the year at local midnight on 1 January', () => {
    // Lisbon is UTC+0 in winter.
    expect(yearStartMs(2027, zone)).toBe(Date.parse('2027-01-01T00:00:00Z'));
    expect(localYear(Date.parse('2026-12-31T23:59:59Z'), zone)).toBe(2026);
    expect(localYear(Date.parse('2027-01-01T00:00:00Z'), zone)).toBe(2027);
    // In the Azores (UTC−1 in winter) 00:30 UTC is still the old year.
    expect(localYear(Date.parse('2027-01-01T00:30:00Z'), 'Atlantic/Azores')).toBe(2026);
  });

  it('grants the rest of the year to a member who starts mid-year', () => {
    // 2026 runs 365 × 24 = 8760 h (the summer hour is lost in March and given back in October).
    // From local midnight on 2 July (UTC+1: 1 July 23:00Z) to 1 January 00:00Z: 183 days and the
    // hour given back in October, 4393 h. 365 kWh × 4393 / 8760 = 183.0416667 kWh.
    const s = openAllowanceYear(settings, Date.parse('2026-07-01T23:00:00Z'), zone);
    expect(s.year).toBe(2026);
    expect(Object.keys(s.grantedKWh)).toEqual(['a', 'b']);
    expect(s.grantedKWh.a).toBeCloseTo(183.0416667, 6);
    expect(s.usedKWh).toEqual({ a: 0, b: 0 });
    expect(openAllowanceYear(settings, Date.parse('2026-01-01T00:00:00Z'), zone).grantedKWh.b).toBeCloseTo(
      365,
      9,
    );
  });

  it('covers what is left of the allowance and no more', () => {
    const s = openAllowanceYear(settings, Date.parse('2026-01-01T00:00:00Z'), zone);
    expect(useAllowance(s, 'a', 300)).toBeCloseTo(300, 9);
    expect(useAllowance(s, 'a', 100)).toBeCloseTo(65, 9);
    expect(useAllowance(s, 'a', 1)).toBe(0);
    expect(useAllowance(s, 'b', 0)).toBe(0);
    expect(useAllowance(s, 'b', -2)).toBe(0);
    expect(useAllowance(s, 'stranger', 5)).toBe(0);
    expect(s.usedKWh).toEqual({ a: 365, b: 0 });
  });

  it('pays back the unused part at the payback price, only to members with some left', () => {
    const s = openAllowanceYear(settings, Date.parse('2026-01-01T00:00:00Z'), zone);
    useAllowance(s, 'a', 365);
    useAllowance(s, 'b', 65);
    // b leaves 300 kWh: 300 × 0.1 = 30.
    expect(closeAllowanceYear(s, settings)).toEqual([
      { member: 'b', year: 2026, kWh: expect.closeTo(300, 9), amount: expect.closeTo(30, 9) },
    ]);
  });
});
