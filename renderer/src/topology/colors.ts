// The control-room palette for the 3D scene, one meaning per colour: amber draws from the
// network, green feeds it, red is a fault or an open breaker, grey is unknown.
import { Color } from 'three';
import type { Reading } from '../../../shared/api/live.ts';

export const palette = {
  ground: '#0d1117',
  line: '#3b4656',
  importing: new Color('#f0a020'),
  exporting: new Color('#35c46a'),
  idle: new Color('#6b7a8f'),
  unknown: new Color('#3a3f47'),
  fault: new Color('#e5484d'),
  closed: new Color('#35c46a'),
  battery: new Color('#4aa3ff'),
  pv: new Color('#1f4f8f'),
  essential: new Color('#d65db1'),
  /** A member whose shed relay is open. */
  shed: new Color('#7a2a31'),
  /** Nothing energised (blackout). */
  dark: new Color('#1a1f26'),
  /** A line fed by the island's battery pool. */
  islandLine: new Color('#3d78b8'),
  groundDisc: '#111822',
  /** The ground inside the island's boundary: a faint blue, so the island reads at a glance. */
  islandGround: '#0f1c2c',
  darkGround: '#150f12',
};

/** Member colour by net power: amber shades when importing, green when exporting. */
export function memberColor(reading: Reading | undefined, target: Color): Color {
  if (!reading || reading.value === null || reading.quality === 'bad') return target.copy(palette.unknown);
  const kw = reading.value;
  if (Math.abs(kw) < 0.05) return target.copy(palette.idle);
  const strength = Math.min(1, Math.abs(kw) / 4);
  return target
    .copy(palette.idle)
    .lerp(kw > 0 ? palette.importing : palette.exporting, 0.35 + 0.65 * strength);
}
