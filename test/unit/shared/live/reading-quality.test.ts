// The one quality policy, case by case. Expected verdicts are worked by hand from the rule: a
// reading counts only when it is good and at most FRESH_PERIODS (3) poll periods old.
import { describe, expect, it } from 'vitest';
import type { DeviceLive, Reading } from '../../../../shared/api/live.ts';
import {
  deviceAnswering,
  FRESH_PERIODS,
  knownValue,
  qualityNow,
  readingCounts,
  readingNow,
} from '../../../../shared/live/reading-quality.ts';

const reading = (value: number | null, quality: Reading['quality'], timeMs: number): Reading => ({
  value,
  unit: 'kW',
  quality,
  timeMs,
});

describe('readingCounts: quality and age', () => {
  it('is three periods', () => {
    expect(FRESH_PERIODS).toBe(3);
  });

  it.each([
    // quality, age ms, period ms, counts
    ['good', 0, 1000, true],
    ['good', 2999, 1000, true],
    ['good', 3000, 1000, true], // exactly three periods old still counts
    ['good', 3001, 1000, false],
    ['good', 5999, 2000, true],
    ['good', 6001, 2000, false],
    ['stale', 0, 1000, false],
    ['bad', 0, 1000, false],
    ['not-implemented', 0, 1000, false],
  ] as const)('%s, %i ms old, period %i ms → counts: %s', (quality, ageMs, periodMs, counts) => {
    expect(readingCounts(quality, ageMs, periodMs)).toBe(counts);
  });
});

describe('a reading as of now', () => {
  it('ages a good reading into stale past three periods, and keeps the others as they are', () => {
    const r = reading(4.2, 'good', 10_000);
    expect(qualityNow(r, 1000, 13_000)).toBe('good');
    expect(qualityNow(r, 1000, 13_001)).toBe('stale');
    expect(readingNow(r, 1000, 13_000)).toBe(r);
    expect(readingNow(r, 1000, 13_001)).toEqual({ ...r, quality: 'stale' });
    expect(qualityNow(reading(4.2, 'bad', 10_000), 1000, 10_000)).toBe('bad');
    expect(qualityNow(reading(null, 'not-implemented', 10_000), 1000, 10_000)).toBe('not-implemented');
  });

  it('calls a good reading without a finite number bad', () => {
    expect(qualityNow(reading(null, 'good', 10_000), 1000, 10_000)).toBe('bad');
    expect(qualityNow(reading(Number.NaN, 'good', 10_000), 1000, 10_000)).toBe('bad');
    expect(qualityNow(reading(Number.POSITIVE_INFINITY, 'good', 10_000), 1000, 10_000)).toBe('bad');
  });

  it('gives a value only for a reading that counts', () => {
    expect(knownValue(reading(4.2, 'good', 0))).toBe(4.2);
    expect(knownValue(reading(0, 'good', 0))).toBe(0);
    // The last value of a silent device is kept for display, never for use.
    expect(knownValue(reading(4.2, 'bad', 0))).toBeNull();
    expect(knownValue(reading(4.2, 'stale', 0))).toBeNull();
    expect(knownValue(reading(null, 'not-implemented', 0))).toBeNull();
    expect(knownValue(undefined)).toBeNull();
  });
});

describe('deviceAnswering', () => {
  const device = (over: Partial<DeviceLive>): DeviceLive => ({
    id: 'battery-2',
    kind: 'battery-inverter',
    state: 'online',
    lastGoodMs: 10_000,
    latencyMs: 5,
    error: null,
    readings: { powerKW: reading(3, 'good', 10_000), socFraction: reading(0.5, 'good', 10_000) },
    ...over,
  });

  it('counts a device read well within three periods', () => {
    expect(deviceAnswering(device({}), 1000, 12_000)).toBe(true);
    expect(deviceAnswering(device({}), 1000, 13_000)).toBe(true);
  });

  it('does not count a device whose last good read has aged out, even while its cycle hangs', () => {
    expect(deviceAnswering(device({}), 1000, 13_001)).toBe(false);
    expect(deviceAnswering(device({}), 2000, 13_001)).toBe(true);
  });

  it('does not count an offline, unread or partly refused device; unimplemented points are no fault', () => {
    expect(deviceAnswering(device({ state: 'offline' }), 1000, 10_000)).toBe(false);
    expect(
      deviceAnswering(device({ state: 'connecting', lastGoodMs: null, readings: {} }), 1000, 10_000),
    ).toBe(false);
    const refused = device({ readings: { powerKW: reading(3, 'bad', 10_000) } });
    expect(deviceAnswering(refused, 1000, 10_000)).toBe(false);
    const partial = device({
      readings: {
        powerKW: reading(3, 'good', 10_000),
        batteryFault: reading(null, 'not-implemented', 10_000),
      },
    });
    expect(deviceAnswering(partial, 1000, 10_000)).toBe(true);
  });
});
