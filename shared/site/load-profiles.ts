// Daily load shapes by member profile: 24 hourly weights (mean 1), scaled by a member's annual
// consumption. They are what a site file's `profile` means, so both the simulator (which varies
// them per member and minute so no two houses draw the same curve) and the controller's reserve
// forecast read them from here.
import type { LoadProfile } from './schema.ts';

const shapes: Record<Exclude<LoadProfile, 'none'>, number[]> = {
  // Out by day, cooking and lights in the evening.
  'household-evening': [
    0.45, 0.4, 0.38, 0.38, 0.4, 0.55, 0.9, 1.1, 0.8, 0.6, 0.55, 0.6, 0.75, 0.7, 0.6, 0.65, 0.9, 1.5, 2.3, 2.5,
    2.2, 1.7, 1.1, 0.7,
  ],
  // Someone home by day (crafts, small trade).
  'household-day': [
    0.45, 0.4, 0.4, 0.4, 0.45, 0.6, 0.9, 1.1, 1.2, 1.25, 1.3, 1.4, 1.45, 1.3, 1.2, 1.15, 1.2, 1.35, 1.6, 1.7,
    1.5, 1.1, 0.8, 0.55,
  ],
  'household-flat': [
    0.7, 0.65, 0.65, 0.65, 0.7, 0.8, 1.0, 1.1, 1.05, 1.0, 1.0, 1.05, 1.1, 1.05, 1.0, 1.0, 1.05, 1.2, 1.45,
    1.5, 1.35, 1.15, 0.95, 0.8,
  ],
  // Refrigerated vaccines and night shifts: never drops far.
  clinic: [
    0.75, 0.72, 0.7, 0.7, 0.72, 0.78, 0.95, 1.2, 1.35, 1.4, 1.42, 1.42, 1.35, 1.35, 1.38, 1.35, 1.25, 1.1,
    0.95, 0.9, 0.88, 0.85, 0.8, 0.78,
  ],
  school: [
    0.2, 0.2, 0.2, 0.2, 0.2, 0.22, 0.4, 1.6, 2.4, 2.5, 2.5, 2.4, 2.1, 2.3, 2.2, 1.6, 0.8, 0.4, 0.3, 0.25,
    0.22, 0.2, 0.2, 0.2,
  ],
  // Pumps into the tank when the sun shines, tops up at dusk.
  'water-pump': [
    0.1, 0.1, 0.1, 0.1, 0.1, 0.2, 0.8, 1.6, 2.2, 2.4, 2.5, 2.5, 2.5, 2.5, 2.4, 2.2, 1.6, 1.2, 1.0, 0.4, 0.2,
    0.1, 0.1, 0.1,
  ],
  shop: [
    0.55, 0.5, 0.5, 0.5, 0.5, 0.55, 0.8, 1.2, 1.4, 1.4, 1.4, 1.4, 1.3, 1.3, 1.35, 1.4, 1.45, 1.5, 1.55, 1.45,
    1.1, 0.7, 0.6, 0.55,
  ],
};

for (const shape of Object.values(shapes)) {
  const mean = shape.reduce((a, b) => a + b, 0) / shape.length;
  for (let i = 0; i < shape.length; i++) shape[i] = (shape[i] as number) / mean;
}

/** Mean power in kW of `profile` at fractional local hour `hour` (0..24), linear between hours. */
export function profilePowerKW(profile: LoadProfile, annualKWh: number, hour: number): number {
  if (profile === 'none' || annualKWh <= 0) return 0;
  const shape = shapes[profile];
  const h = ((hour % 24) + 24) % 24;
  const i = Math.floor(h);
  const f = h - i;
  const weight = (shape[i] as number) * (1 - f) + (shape[(i + 1) % 24] as number) * f;
  return (annualKWh / 8760) * weight;
}
