// Estimates each member's net energy over the current settlement interval from sampled power:
// what has passed is integrated (trapezoids between samples), what is left is extrapolated at
// the latest power. The time before a member's first sample in the interval (the console started
// mid-interval, or the meter was silent) is taken at that first sample's power. The battery pool's
// charge and discharge are estimated the same way, as the interval market needs them too.
import { MS_PER_HOUR } from '../../shared/units.ts';

interface MemberTrack {
  /** Energy integrated from the interval's start to `lastMs`, positive when imported (kWh). */
  importKWh: number;
  lastMs: number;
  lastKW: number;
}

/** The pool's two one-way flows, each a track of its own. */
const POOL_CHARGE = '@pool-charge';
const POOL_DISCHARGE = '@pool-discharge';

export class IntervalEnergyEstimate {
  private tracks = new Map<string, MemberTrack>();
  private poolTracks = new Map<string, MemberTrack>();
  private startMs = Number.NaN;
  private endMs = Number.NaN;

  /** Starts a new interval; samples before it no longer count. */
  begin(startMs: number, endMs: number): void {
    this.startMs = startMs;
    this.endMs = endMs;
    this.tracks = new Map();
    this.poolTracks = new Map();
  }

  get intervalStartMs(): number {
    return this.startMs;
  }

  get intervalEndMs(): number {
    return this.endMs;
  }

  /**
   * Adds one reading of each member's net power at `timeMs` (kW, positive when importing, as the
   * live snapshot gives it); null for a member without a good reading, which is skipped.
   */
  sample(timeMs: number, powerKW: ReadonlyMap<string, number | null>): void {
    this.integrate(this.tracks, timeMs, powerKW);
  }

  /**
   * Adds one reading of the battery pool's AC power at `timeMs` (kW, positive when discharging, as
   * the live snapshot gives it); null when unknown, which is skipped.
   */
  samplePool(timeMs: number, powerKW: number | null): void {
    if (powerKW === null || !Number.isFinite(powerKW)) return;
    // Charge and discharge are integrated apart: the interval market attributes each on its own.
    this.integrate(
      this.poolTracks,
      timeMs,
      new Map([
        [POOL_CHARGE, Math.max(0, -powerKW)],
        [POOL_DISCHARGE, Math.max(0, powerKW)],
      ]),
    );
  }

  private integrate(
    tracks: Map<string, MemberTrack>,
    timeMs: number,
    powerKW: ReadonlyMap<string, number | null>,
  ): void {
    const at = Math.min(Math.max(timeMs, this.startMs), this.endMs);
    for (const [member, kw] of powerKW) {
      if (kw === null || !Number.isFinite(kw)) continue;
      const track = tracks.get(member);
      if (!track) {
        tracks.set(member, {
          importKWh: (kw * (at - this.startMs)) / MS_PER_HOUR,
          lastMs: at,
          lastKW: kw,
        });
        continue;
      }
      if (at <= track.lastMs) {
        track.lastKW = kw;
        continue;
      }
      track.importKWh += (((track.lastKW + kw) / 2) * (at - track.lastMs)) / MS_PER_HOUR;
      track.lastMs = at;
      track.lastKW = kw;
    }
  }

  /**
   * Each member's estimated net energy over the whole interval, positive when it has a surplus
   * (exported, as the market's metered members count it), for members with at least one sample.
   */
  netSurplusKWh(): Map<string, number> {
    const out = new Map<string, number>();
    for (const [member, track] of this.tracks) out.set(member, -this.wholeInterval(track));
    return out;
  }

  /** The pool's estimated charge and discharge over the whole interval (kWh; zero before a sample). */
  poolKWh(): { chargedKWh: number; dischargedKWh: number } {
    const charge = this.poolTracks.get(POOL_CHARGE);
    const discharge = this.poolTracks.get(POOL_DISCHARGE);
    return {
      chargedKWh: charge ? this.wholeInterval(charge) : 0,
      dischargedKWh: discharge ? this.wholeInterval(discharge) : 0,
    };
  }

  /** A track's energy to the interval's end, the rest at its latest power (kWh). */
  private wholeInterval(track: MemberTrack): number {
    return track.importKWh + (track.lastKW * (this.endMs - track.lastMs)) / MS_PER_HOUR;
  }
}
