// The one rule for whether a reading counts. Everything the console derives from live readings
// (the snapshot's figures, the controller's measurements, the market preview, settlement's live
// state of charge) asks this module, so no two places can disagree on what "known" means.
import type { DeviceLive, Quality, Reading } from '../api/live.ts';
import type { EpochMs } from '../units.ts';

/**
 * A good reading counts while it is at most this many of its device's poll periods old. Three
 * periods forgive one late cycle on a busy gateway and one lost reply, and a device that went
 * silent right after a good read is unknown three periods later.
 */
export const FRESH_PERIODS = 3;

/**
 * Whether a reading of this quality and age counts: only a good one no older than
 * FRESH_PERIODS periods. Stale, bad and not-implemented readings are unknown, never zero.
 */
export function readingCounts(quality: Quality, ageMs: number, pollPeriodMs: number): boolean {
  return quality === 'good' && ageMs <= FRESH_PERIODS * pollPeriodMs;
}

/** The quality a reading has now: a good reading past its freshness becomes stale. */
export function qualityNow(reading: Reading, pollPeriodMs: number, nowMs: EpochMs): Quality {
  if (reading.quality !== 'good') return reading.quality;
  if (reading.value === null || !Number.isFinite(reading.value)) return 'bad';
  return readingCounts('good', nowMs - reading.timeMs, pollPeriodMs) ? 'good' : 'stale';
}

/** A reading as of now: the same reading, its quality aged by `qualityNow`. */
export function readingNow(reading: Reading, pollPeriodMs: number, nowMs: EpochMs): Reading {
  const quality = qualityNow(reading, pollPeriodMs, nowMs);
  return quality === reading.quality ? reading : { ...reading, quality };
}

/**
 * The value of a reading whose quality has already been aged (`readingNow`), or null when it does
 * not count. Consumers of the site state use this and nothing else to take a number from a reading.
 */
export function knownValue(reading: Reading | undefined): number | null {
  return reading && reading.quality === 'good' && reading.value !== null && Number.isFinite(reading.value)
    ? reading.value
    : null;
}

/**
 * Whether a device is answering now: it was read in its last cycle, that read is fresh, and no
 * part of it was refused. Readings of points it does not implement do not count against it.
 */
export function deviceAnswering(device: DeviceLive, pollPeriodMs: number, nowMs: EpochMs): boolean {
  if (device.state !== 'online' || device.lastGoodMs === null) return false;
  if (!readingCounts('good', nowMs - device.lastGoodMs, pollPeriodMs)) return false;
  return Object.values(device.readings).every((r) => r === undefined || r.quality !== 'bad');
}
