// Grid detection from the PCC (a silent meter is "unknown", never "lost"), the reconnection
// stability band, and the synchronism check across the open breaker.
import { describe, expect, it } from 'vitest';
import { DEFAULT_CONTROL_CONFIG } from '../../../../electron/control/control-config.ts';
import { assessGrid, GridStability } from '../../../../electron/control/grid-detection.ts';
import type { Measurements, PccMeasurement } from '../../../../electron/control/measurements.ts';
import { syncCheck } from '../../../../electron/control/sync-check.ts';

const nominal = { voltageV: 230, frequencyHz: 50 };
const good: PccMeasurement = {
  quality: 'good',
  voltageV: 231,
  frequencyHz: 50.01,
  powerKW: 3,
  breakerClosed: false,
  breakerTripped: false,
  phaseDifferenceDeg: 5,
};

function across(
  pcc: Partial<PccMeasurement>,
  island: { voltageV: number | null; frequencyHz: number | null },
): Measurements {
  return {
    timeMs: 0,
    pcc: { ...good, ...pcc },
    island,
    pool: { socFraction: 0.5, powerKW: 0, batteries: [] },
    pv: { powerKW: 0, availableKW: 0 },
    tiers: [],
  };
}

describe('grid detection', () => {
  const limits = DEFAULT_CONTROL_CONFIG.gridLoss;
  it('reads a silent meter as unknown, and a trip flag as loss even then', () => {
    const silent = { ...good, quality: 'unknown' as const, voltageV: null, frequencyHz: null, powerKW: null };
    expect(assessGrid(silent, nominal, limits).status).toBe('unknown');
    expect(assessGrid({ ...silent, breakerTripped: true }, nominal, limits).status).toBe('lost');
  });

  it('reads voltage and frequency outside the limits as loss', () => {
    expect(assessGrid(good, nominal, limits).status).toBe('present');
    expect(assessGrid({ ...good, voltageV: 0.84 * 230 }, nominal, limits).status).toBe('lost');
    expect(assessGrid({ ...good, voltageV: 1.16 * 230 }, nominal, limits).status).toBe('lost');
    expect(assessGrid({ ...good, frequencyHz: 51.2 }, nominal, limits).status).toBe('lost');
    expect(assessGrid({ ...good, frequencyHz: 49.2 }, nominal, limits).status).toBe('present');
  });

  it('counts stability from the last excursion out of the band', () => {
    const g = new GridStability(nominal, DEFAULT_CONTROL_CONFIG.stability);
    g.update(good, 0);
    g.update(good, 100_000);
    expect(g.stableForSeconds(100_000)).toBe(100);
    g.update({ ...good, frequencyHz: 50.12 }, 101_000);
    expect(g.stableForSeconds(101_000)).toBeNull();
    expect(g.reason).toMatch(/50\.12 Hz is outside 50 ± 0\.1 Hz/);
    g.update(good, 102_000);
    g.update(good, 402_000);
    expect(g.stableForSeconds(402_000)).toBe(300);
    g.update({ ...good, voltageV: 0.949 * 230 }, 403_000);
    expect(g.stableForSeconds(403_000)).toBeNull();
    g.update({ ...good, quality: 'unknown', voltageV: null }, 404_000);
    expect(g.reason).toMatch(/not answering/);
  });
});

describe('sync check', () => {
  const limits = DEFAULT_CONTROL_CONFIG.syncCheck;
  const island = { voltageV: 229, frequencyHz: 50.05 };

  it('passes inside IEEE 1547 Table 5 limits', () => {
    const r = syncCheck(across({}, island), nominal, limits);
    expect(r.ok).toBe(true);
    expect(r.phaseDiffDeg).toBe(5);
    expect(r.frequencyDiffHz).toBeCloseTo(0.04, 9);
  });

  it('fails on each of voltage, frequency and phase, and on an unmeasured phase', () => {
    expect(syncCheck(across({ voltageV: 260 }, island), nominal, limits).reason).toMatch(
      /voltage difference 13\.5 % > 10 %/,
    );
    expect(syncCheck(across({ frequencyHz: 50.4 }, island), nominal, limits).reason).toMatch(
      /frequency difference 0\.35 Hz > 0\.3 Hz/,
    );
    expect(syncCheck(across({ phaseDifferenceDeg: -25 }, island), nominal, limits).reason).toMatch(
      /phase difference 25° > 20°/,
    );
    expect(syncCheck(across({ phaseDifferenceDeg: null }, island), nominal, limits).reason).toMatch(
      /not measured/,
    );
  });

  it('fails without a grid-side reading or with the breaker closed, and allows dead-bus closing', () => {
    expect(syncCheck(across({ quality: 'unknown', voltageV: null }, island), nominal, limits).ok).toBe(false);
    expect(syncCheck(across({ breakerClosed: true }, island), nominal, limits).ok).toBe(false);
    expect(syncCheck(across({ breakerClosed: null }, island), nominal, limits).ok).toBe(false);
    const dead = syncCheck(
      across({ phaseDifferenceDeg: null }, { voltageV: 0, frequencyHz: 0 }),
      nominal,
      limits,
    );
    expect(dead).toMatchObject({ ok: true });
    expect(dead.reason).toMatch(/dead-bus/);
  });
});
