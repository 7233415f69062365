// How the site ran over time, from the controller's transitions: the market and settlement ask
// which mode held during each settlement interval (islanded intervals have no grid fallback).
import type { ControlMode } from '../../shared/api/control-api.ts';
import type { IntervalMode } from '../../shared/settlement/interval-energy.ts';
import { MS_PER_MINUTE } from '../../shared/units.ts';

export function intervalModeOf(mode: ControlMode): IntervalMode {
  switch (mode) {
    case 'grid-connected':
    case 'planned-islanding':
      return 'grid-connected';
    case 'off-grid':
      return 'off-grid';
    case 'blackout':
    case 'black-start':
      return 'blackout';
    case 'unplanned-islanding':
    case 'islanded':
    case 'resynchronising':
    case 'reconnecting':
      return 'islanded';
  }
}

export class ModeRecord {
  /** Changes of interval mode, in time order; the first entry holds from the record's start. */
  private readonly changes: Array<{ atMs: number; mode: IntervalMode }> = [];

  constructor(startMs: number, mode: ControlMode) {
    this.changes.push({ atMs: startMs, mode: intervalModeOf(mode) });
  }

  note(atMs: number, mode: ControlMode): void {
    const m = intervalModeOf(mode);
    const last = this.changes[this.changes.length - 1];
    if (last && last.mode === m) return;
    this.changes.push({ atMs, mode: m });
  }

  /** Seconds spent in each mode during [startMs, startMs + minutes). */
  sharesDuring(startMs: number, minutes: number): Partial<Record<IntervalMode, number>> {
    const endMs = startMs + minutes * MS_PER_MINUTE;
    const shares: Partial<Record<IntervalMode, number>> = {};
    for (let i = 0; i < this.changes.length; i++) {
      const c = this.changes[i] as { atMs: number; mode: IntervalMode };
      const from = Math.max(startMs, c.atMs);
      const to = Math.min(endMs, this.changes[i + 1]?.atMs ?? Number.POSITIVE_INFINITY);
      if (to > from) shares[c.mode] = (shares[c.mode] ?? 0) + (to - from) / 1000;
    }
    return shares;
  }

  /** The mode that held longest during the interval; before the record starts, its first mode. */
  modeDuring(startMs: number, minutes: number): IntervalMode {
    const shares = this.sharesDuring(startMs, minutes);
    let best: IntervalMode = this.changes[0]?.mode ?? 'grid-connected';
    let bestSeconds = -1;
    for (const [mode, seconds] of Object.entries(shares) as Array<[IntervalMode, number]>) {
      if (seconds > bestSeconds) {
        best = mode;
        bestSeconds = seconds;
      }
    }
    return best;
  }

  /** Drops changes older than `beforeMs`, keeping the mode that held then. */
  forget(beforeMs: number): void {
    while (this.changes.length > 1 && (this.changes[1] as { atMs: number }).atMs <= beforeMs)
      this.changes.shift();
  }
}
