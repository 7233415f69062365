// Reads a unit's SunSpec models (or its points through a custom register map) and flattens them
// into points a technician reads: name, value, unit, implemented, writable. Shared by
// `commonwatt read` and the commissioning view.
import type { ModelView, PointsView, PointView, UnitView } from '../../shared/api/field-api.ts';
import type { CustomPoint, Device } from '../../shared/site/schema.ts';
import { CustomMapDriver } from './device-drivers.ts';
import { KNOWN_MODELS } from './known-models.ts';
import type { DecodedGroup } from './sunspec/codec.ts';
import { discoverSunSpec, readModel } from './sunspec/discovery.ts';
import type { GroupDef } from './sunspec/types.ts';
import type { UnitIo } from './unit-io.ts';

export interface ReadUnitOptions {
  base?: number;
  /** Only these model ids (all when absent). */
  models?: readonly number[];
  now?: () => number;
}

export async function readUnit(io: UnitIo, options: ReadUnitOptions = {}): Promise<UnitView> {
  const read = (address: number, count: number) => io.read('holding', address, count);
  const map = await discoverSunSpec(read, options.base === undefined ? {} : { bases: [options.base] });
  if (!map)
    throw new Error(
      `unit ${io.unitId}: no SunSpec map ('SunS') at register ${options.base ?? '40000, 0 or 50000'}`,
    );
  const wanted = options.models ? new Set(options.models) : null;
  if (wanted) {
    const missing = [...wanted].filter((id) => !map.models.some((m) => m.id === id));
    if (missing.length > 0)
      throw new Error(
        `unit ${io.unitId} has no model ${missing.join(', ')}; it has ${map.models.map((m) => m.id).join(', ') || 'none'}`,
      );
  }
  const models: ModelView[] = [];
  for (const location of map.models) {
    if (wanted && !wanted.has(location.id)) continue;
    const def = KNOWN_MODELS.get(location.id);
    const view: ModelView = {
      id: location.id,
      name: def?.name ?? `model_${location.id}`,
      label: def?.label ?? 'unknown model (not decoded)',
      offset: location.offset,
      length: location.length,
      known: def !== undefined,
      points: [],
      error: null,
    };
    if (def) {
      try {
        const { decoded } = await readModel(read, location, KNOWN_MODELS);
        if (decoded) flatten(def.group, decoded, '', view.points, true);
      } catch (error) {
        view.error = error instanceof Error ? error.message : String(error);
      }
    }
    models.push(view);
  }
  return { unit: io.unitId, base: map.base, timeMs: (options.now ?? Date.now)(), models };
}

function flatten(def: GroupDef, decoded: DecodedGroup, prefix: string, out: PointView[], top: boolean): void {
  for (const point of def.points) {
    if (top && (point.name === 'ID' || point.name === 'L')) continue;
    if (point.type === 'pad' || point.type === 'sunssf') continue;
    const d = decoded.points[point.name];
    if (!d) continue;
    out.push({
      name: `${prefix}${point.name}`,
      value: d.value,
      units: point.units ?? '',
      implemented: d.implemented,
      writable: point.access === 'RW',
    });
  }
  for (const child of def.groups ?? []) {
    (decoded.groups[child.name] ?? []).forEach((repeat, i) =>
      flatten(child, repeat, `${prefix}${child.name}[${i}].`, out, false),
    );
  }
}

/** Reads a unit through a custom map, block by block as the poller would. */
export async function readCustomUnit(
  io: UnitIo,
  points: CustomPoint[],
  now: () => number = Date.now,
): Promise<PointsView> {
  // The driver needs only the register map of the device it reads.
  const driver = new CustomMapDriver({ registerMap: { type: 'custom', points } } as Device);
  const reading = await driver.read(io);
  return {
    unit: io.unitId,
    timeMs: now(),
    points: points.map((p) => ({
      name: p.name,
      value: reading.points[p.name] ?? null,
      units: p.unit,
      implemented: Object.hasOwn(reading.points, p.name),
      writable: false,
    })),
    problems: reading.problems,
  };
}
