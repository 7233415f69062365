// The simulator never stops on a value its registers cannot hold (a site far larger than the
// demo, a runaway physics figure, a meter past its accumulator's range): such a value is clamped
// to the register's range — as a real device saturates — and an out-of-range alarm is raised, kept
// while the value stays out of range and cleared when it comes back. A value that is not a finite
// number is shown as not implemented. Before this, the codec's RangeError escaped the simulator's
// timer and ended the process.
import type { CustomPoint } from '../../shared/site/schema.ts';
import { AUTO_SF_MAX, rawRange } from '../field/sunspec/codec.ts';
import type { ModelDef } from '../field/sunspec/types.ts';

export interface RangeAlarm {
  device: string;
  /** The SunSpec point (`203.W`) or custom point name. */
  point: string;
  /** What the physics asked for; null when it was not a finite number. */
  value: number | null;
  /** What the register shows instead (null: not implemented). */
  shown: number | null;
  sinceMs: number;
}

/** The out-of-range alarms of every simulated device, and who hears of a new one. */
export class RangeAlarms {
  private readonly active = new Map<string, Map<string, RangeAlarm>>();
  private readonly listeners = new Set<(alarm: RangeAlarm) => void>();

  constructor(private readonly now: () => number = Date.now) {}

  /** The clamps of one refresh of `device`: new ones are raised, ones no longer present cleared. */
  report(device: string, clamps: ReadonlyArray<Omit<RangeAlarm, 'device' | 'sinceMs'>>): void {
    const before = this.active.get(device);
    if (clamps.length === 0) {
      this.active.delete(device);
      return;
    }
    const after = new Map<string, RangeAlarm>();
    for (const clamp of clamps) {
      const earlier = before?.get(clamp.point);
      const alarm: RangeAlarm = { device, ...clamp, sinceMs: earlier?.sinceMs ?? this.now() };
      after.set(clamp.point, alarm);
      if (!earlier)
        for (const listener of this.listeners) {
          try {
            listener(alarm);
          } catch {
            // A listener's failure is its own; the simulator goes on.
          }
        }
    }
    this.active.set(device, after);
  }

  list(): RangeAlarm[] {
    return [...this.active.values()].flatMap((points) => [...points.values()]);
  }

  onRaise(listener: (alarm: RangeAlarm) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}

type Values = Record<string, number | string | string[] | undefined>;
type Clamp = Omit<RangeAlarm, 'device' | 'sinceMs'>;

/**
 * Clamps, in place, each numeric value of a SunSpec model to what its point can carry at its scale
 * factor (fixed, given among the values, or else the largest the encoder may choose), and returns
 * what it changed.
 */
export function clampModelValues(def: ModelDef, values: Values): Clamp[] {
  const clamps: Clamp[] = [];
  for (const point of def.group.points) {
    const value = values[point.name];
    if (typeof value !== 'number' || point.type === 'sunssf') continue;
    const where = `${def.id}.${point.name}`;
    if (!Number.isFinite(value)) {
      values[point.name] = undefined;
      clamps.push({ point: where, value: null, shown: null });
      continue;
    }
    if (point.type === 'float32' || point.type === 'float64' || point.type === 'string') continue;
    const given = typeof point.sf === 'string' ? values[point.sf] : point.sf;
    const exponent = typeof given === 'number' ? given : point.sf === undefined ? 0 : AUTO_SF_MAX;
    const [lo, hi] = rawRange(point.type);
    const low = Number(lo) * 10 ** exponent;
    const high = Number(hi) * 10 ** exponent;
    if (value >= low && value <= high) continue;
    const shown = Math.min(high, Math.max(low, value));
    values[point.name] = shown;
    clamps.push({ point: where, value, shown });
  }
  return clamps;
}

const customRange: Record<CustomPoint['type'], [number, number]> = {
  int16: [-0x8000, 0x7fff],
  uint16: [0, 0xffff],
  int32: [-0x80000000, 0x7fffffff],
  uint32: [0, 0xffffffff],
  float32: [-3.4028234663852886e38, 3.4028234663852886e38],
};

/** The value a custom-map point can show for `value` (its register's range over its scale). */
export function clampCustomValue(point: CustomPoint, value: number): { shown: number; clamp: Clamp | null } {
  if (!Number.isFinite(value)) return { shown: 0, clamp: { point: point.name, value: null, shown: 0 } };
  const [lo, hi] = customRange[point.type];
  const [low, high] =
    point.scale >= 0 ? [lo * point.scale, hi * point.scale] : [hi * point.scale, lo * point.scale];
  if (value >= low && value <= high) return { shown: value, clamp: null };
  const shown = Math.min(high, Math.max(low, value));
  return { shown, clamp: { point: point.name, value, shown } };
}
