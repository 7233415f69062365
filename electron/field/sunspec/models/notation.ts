// A compact notation for writing SunSpec model definitions one point per line.
import { POINT_TYPE_SIZE, type GroupDef, type ModelDef, type PointDef, type PointType } from '../types.ts';

/**
 * One point. `flags` holds 'M' for mandatory and/or 'RW' for writable (e.g. 'M RW');
 * null stands for "none" where a later argument is needed.
 */
export function p(
  name: string,
  type: Exclude<PointType, 'string'>,
  sf?: string | number | null,
  units?: string | null,
  flags = '',
  symbols?: Record<string, number>,
): PointDef {
  return point(name, type, POINT_TYPE_SIZE[type], sf, units, flags, symbols);
}

/** A string point of `size` registers (two characters each). */
export function str(name: string, size: number, flags = ''): PointDef {
  return point(name, 'string', size, null, null, flags);
}

/** The ID and L registers every model starts with. */
export const HEADER: readonly PointDef[] = [
  p('ID', 'uint16', null, null, 'M'),
  p('L', 'uint16', null, null, 'M'),
];

export function group(
  name: string,
  points: PointDef[],
  groups?: GroupDef[],
  count?: number | string,
): GroupDef {
  const def: GroupDef = { name, points };
  if (groups && groups.length > 0) def.groups = groups;
  if (count !== undefined) def.count = count;
  return def;
}

/** A model whose top group is named `name` and starts with the ID and L header. */
export function model(
  id: number,
  name: string,
  label: string,
  points: PointDef[],
  groups?: GroupDef[],
): ModelDef {
  return { id, name, label, group: group(name, [...HEADER, ...points], groups) };
}

function point(
  name: string,
  type: PointType,
  size: number,
  sf: string | number | null | undefined,
  units: string | null | undefined,
  flags: string,
  symbols?: Record<string, number>,
): PointDef {
  const def: PointDef = { name, type, size };
  if (sf !== null && sf !== undefined) def.sf = sf;
  if (units !== null && units !== undefined) def.units = units;
  const words = flags.split(/\s+/).filter(Boolean);
  for (const word of words) {
    if (word !== 'M' && word !== 'RW') throw new Error(`SunSpec point ${name}: unknown flag ${word}`);
  }
  if (words.includes('RW')) def.access = 'RW';
  if (words.includes('M')) def.mandatory = true;
  if (symbols) def.symbols = symbols;
  return def;
}
