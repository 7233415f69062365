// Estimates each member's net energy over the current settlement interval from sampled power:
// what has passed is integrated (trapezoids between samples), what is left is extrapolated at
// the latest power. The time before a member's first sample in the interval (the console started
// mid-interval, or the meter was silent) is taken at that first sample's power.
import { MS_PER_HOUR } from '../../shared/units.ts';

interface MemberTrack {
  /** Energy integrated from the interval's start to `lastMs`, positive when imported (kWh). */
  importKWh: number;
  lastMs: number;
  lastKW: number;
}

export class IntervalEnergyEstimate {
  private tracks = new Map<string, MemberTrack>();
  private startMs = Number.NaN;
  private endMs = Number.NaN;

  /** Starts a new interval; samples before it no longer count. */
  begin(startMs: number, endMs: number): void {
    this.startMs = startMs;
    this.endMs = endMs;
    this.tracks = new Map();
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
    const at = Math.min(Math.max(timeMs, this.startMs), this.endMs);
    for (const [member, kw] of powerKW) {
      if (kw === null || !Number.isFinite(kw)) continue;
      const track = this.tracks.get(member);
      if (!track) {
        this.tracks.set(member, {
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
    for (const [member, track] of this.tracks) {
      const importKWh = track.importKWh + (track.lastKW * (this.endMs - track.lastMs)) / MS_PER_HOUR;
      out.set(member, -importKWh);
    }
    return out;
  }
}
