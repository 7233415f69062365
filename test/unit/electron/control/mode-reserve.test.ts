// The mode record the market and settlement read per interval, and the essential reserve sized
// from the essential loads' forecast.
import { describe, expect, it } from 'vitest';
import { intervalModeOf, ModeRecord } from '../../../../electron/control/mode-record.ts';
import {
  essentialMembers,
  LoadForecast,
  poolCapacityKWh,
} from '../../../../electron/control/reserve-sizing.ts';
import { demoSite } from '../../../fixtures/demo-site.ts';

const site = demoSite();
const t0 = Date.parse('2026-06-21T10:00:00Z');
const min = 60_000;

describe('mode record', () => {
  it('gives each interval the mode that held longest in it', () => {
    const r = new ModeRecord(t0, 'grid-connected');
    r.note(t0 + 5 * min, 'unplanned-islanding');
    r.note(t0 + 5 * min + 1000, 'islanded');
    r.note(t0 + 20 * min, 'resynchronising');
    r.note(t0 + 27 * min, 'grid-connected');
    expect(r.modeDuring(t0, 15)).toBe('islanded');
    expect(r.modeDuring(t0 + 15 * min, 15)).toBe('islanded');
    expect(r.modeDuring(t0 + 30 * min, 15)).toBe('grid-connected');
    expect(r.modeDuring(t0 - 60 * min, 15)).toBe('grid-connected');
    const shares = r.sharesDuring(t0, 15);
    expect(shares['grid-connected']).toBe(300);
    expect(shares.islanded).toBe(600);
  });

  it('maps every controller mode onto a settlement mode', () => {
    expect(intervalModeOf('planned-islanding')).toBe('grid-connected');
    expect(intervalModeOf('reconnecting')).toBe('islanded');
    expect(intervalModeOf('black-start')).toBe('blackout');
    expect(intervalModeOf('off-grid')).toBe('off-grid');
  });
});

describe('essential reserve', () => {
  const forecast = new LoadForecast(site);
  it('sizes the reserve from the essential loads over the reserve hours', () => {
    const from = Date.parse('2026-06-21T20:00:00+01:00');
    const kWh4 = forecast.energyKWh(essentialMembers(site), from, 4);
    const r4 = forecast.essentialReserve(from, 4, 0.07);
    const r8 = forecast.essentialReserve(from, 8, 0.07);
    expect(r4.kWh).toBeCloseTo(kWh4, 9);
    expect(r8.kWh).toBeGreaterThan(r4.kWh);
    expect(r4.soc).toBeCloseTo(0.07 + kWh4 / 0.95 / poolCapacityKWh(site), 9);
    expect(forecast.essentialReserve(from, 4, 0.07, 1.3).kWh).toBeCloseTo(1.3 * kWh4, 9);
    expect(essentialMembers(site).map((m) => m.id)).toEqual(['clinic', 'school', 'water-pump']);
  });
});
