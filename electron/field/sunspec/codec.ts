// Pure SunSpec register codec: a model's registers to engineering values and back. The poller
// decodes with it and the site simulator encodes its register images with it.
import type { GroupDef, ModelDef, PointDef, PointType } from './types.ts';

export type PointValue = number | string | string[] | null;

export interface DecodedPoint {
  name: string;
  /** Scaled number, enum symbol, names of the set flags, text — or null when not implemented. */
  value: PointValue;
  /** As read, before scaling; a bit field's raw keeps bits that have no symbol. */
  raw: number | bigint | string;
  units?: string;
  implemented: boolean;
  /** The enum symbol for the raw value, when the definition names it. */
  symbol?: string;
}

export interface DecodedGroup {
  points: Record<string, DecodedPoint>;
  /** Each child group by name, one entry per repeat. */
  groups: Record<string, DecodedGroup[]>;
}

export interface DecodedModel extends DecodedGroup {
  id: number;
  name: string;
  /** The model length L: registers after ID and L. */
  length: number;
}

export type PointInput = number | bigint | string | string[] | null | undefined;

/** Values for one repeat of a group and its own child groups. */
export interface GroupValues {
  values?: Record<string, PointInput>;
  groups?: Record<string, GroupValues[]>;
}

export interface EncodeOptions {
  /** Repeats per group name, for groups whose count is not fixed by the definition. */
  repeats?: Record<string, number>;
  /** Values of the top group's child groups, one entry per repeat. */
  groupValues?: Record<string, GroupValues[]>;
}

export const SUNS_MARKER = [0x5375, 0x6e53] as const;
export const END_MARKER = [0xffff, 0x0000] as const;

/** Exponents tried when a scale factor is chosen for the caller. */
const AUTO_SF_MIN = -6;
export const AUTO_SF_MAX = 6;
const SF_LIMIT = 10;

const TWO_16 = 65536;
const TWO_32 = 4294967296;
const U64_MAX = (1n << 64n) - 1n;
const I64_MIN = -(1n << 63n);
const HEADER_REGISTERS = 2;

// ---- one point ------------------------------------------------------------------------------

/** Decodes one point from `regs` at `offset`; `sf` is the exponent (null when it is unknown). */
export function decodePointValue(
  point: PointDef,
  regs: ArrayLike<number>,
  sf?: number | null,
  offset = 0,
): DecodedPoint {
  const raw = readRaw(point, regs, offset);
  const implemented = isImplemented(point.type, raw);
  const decoded: DecodedPoint = { name: point.name, value: null, raw, implemented };
  if (point.units !== undefined) decoded.units = point.units;
  if (!implemented) return decoded;
  switch (point.type) {
    case 'enum16':
    case 'enum32': {
      const symbol = symbolFor(point, Number(raw));
      if (symbol !== undefined) decoded.symbol = symbol;
      decoded.value = symbol ?? Number(raw);
      return decoded;
    }
    case 'bitfield16':
    case 'bitfield32':
    case 'bitfield64': {
      const bits = BigInt(raw);
      decoded.value = Object.entries(point.symbols ?? {})
        .filter(([, bit]) => ((bits >> BigInt(bit)) & 1n) === 1n)
        .map(([name]) => name);
      return decoded;
    }
    case 'string':
      decoded.value = raw as string;
      return decoded;
    case 'ipaddr':
      decoded.value = formatIpv4(raw as number);
      return decoded;
    case 'ipv6addr':
      decoded.value = formatIpv6(raw as string);
      return decoded;
    case 'eui48':
      decoded.value = formatEui48(raw as bigint);
      return decoded;
    default: {
      const n = Number(raw);
      if (point.sf === undefined) decoded.value = n;
      else decoded.value = sf === null || sf === undefined ? null : scale(n, sf);
      return decoded;
    }
  }
}

/**
 * Encodes one engineering value into `point.size` registers. `sf` is the exponent to apply to a
 * scaled point. A value of undefined or null gives the type's not-implemented sentinel.
 */
export function encodePointValue(point: PointDef, value: PointInput, sf?: number | null): number[] {
  if (value === undefined || value === null) return sentinel(point);
  const where = `SunSpec point ${point.name}`;
  switch (point.type) {
    case 'string':
      if (typeof value !== 'string')
        throw new TypeError(`${where}: expected a string, got ${describe(value)}`);
      return encodeString(point, value);
    case 'enum16':
    case 'enum32':
      return writeUnsigned(point, checkRange(point, enumNumber(point, value), where));
    case 'bitfield16':
    case 'bitfield32':
    case 'bitfield64':
      return writeUnsigned(point, checkRange(point, bitfieldNumber(point, value), where));
    case 'ipaddr':
      return writeUnsigned(point, typeof value === 'string' ? parseIpv4(value, where) : toBig(value, where));
    case 'ipv6addr':
      return writeUnsigned(point, typeof value === 'string' ? parseIpv6(value, where) : toBig(value, where));
    case 'eui48':
      return writeUnsigned(point, typeof value === 'string' ? parseEui48(value, where) : toBig(value, where));
    case 'pad':
      return sentinel(point);
    default:
      break;
  }
  if (typeof value !== 'number' && typeof value !== 'bigint') {
    throw new TypeError(`${where}: expected a number, got ${describe(value)}`);
  }
  let exponent = 0;
  if (point.sf !== undefined) {
    if (sf === null || sf === undefined) {
      throw new Error(
        `${where}: its scale factor ${String(point.sf)} is not implemented, so it cannot hold a value`,
      );
    }
    exponent = sf;
  }
  if (point.type === 'float32' || point.type === 'float64') {
    return writeFloat(point, exponent === 0 ? Number(value) : Number(value) / 10 ** exponent);
  }
  const n = typeof value === 'bigint' && exponent === 0 ? value : unscale(Number(value), exponent, where);
  return writeInteger(point, checkRange(point, n, where));
}

// ---- whole models ---------------------------------------------------------------------------

/** Decodes a model from registers that start at its ID register and include ID and L. */
export function decodeModel(def: ModelDef, regs: Uint16Array | number[]): DecodedModel {
  const where = `SunSpec model ${def.id} (${def.name})`;
  if (regs.length < HEADER_REGISTERS)
    throw new Error(`${where}: ${regs.length} registers given, need ID and L`);
  const id = regs[0]! & 0xffff;
  const length = regs[1]! & 0xffff;
  if (id !== def.id) throw new Error(`${where}: the registers start with model id ${id}`);
  if (regs.length < HEADER_REGISTERS + length) {
    throw new Error(
      `${where}: ${regs.length} registers given, L=${length} needs ${HEADER_REGISTERS + length}`,
    );
  }
  const cursor = { offset: 0, end: HEADER_REGISTERS + length };
  const top = decodeGroup(def.group, regs, cursor, [], true, where);
  return { id, name: def.name, length, points: top.points, groups: top.groups };
}

/**
 * Encodes a model — ID, L and body — from engineering values. Scale factors not given are
 * chosen per `chooseScaleFactor`; count points not given are set to the number of repeats.
 */
export function encodeModel(
  def: ModelDef,
  values: Record<string, PointInput>,
  opts: EncodeOptions = {},
): Uint16Array {
  const where = `SunSpec model ${def.id} (${def.name})`;
  const top = buildInstance(def.group, { values, groups: opts.groupValues ?? {} }, null, true, opts, where);
  const exponents = resolveScaleFactors(top, where);
  const out: number[] = [];
  writeInstance(top, exponents, out, where);
  out[0] = def.id;
  out[1] = out.length - HEADER_REGISTERS;
  if (out[1] > 0xffff) throw new RangeError(`${where}: ${out[1]} registers exceed the 16-bit model length`);
  return Uint16Array.from(out);
}

export interface ImageModel {
  def: ModelDef;
  values: Record<string, PointInput>;
  repeats?: Record<string, number>;
  groupValues?: Record<string, GroupValues[]>;
}

/** The whole SunSpec register map from its base: 'SunS', each model, then the end model. */
export function buildSunSpecImage(models: ImageModel[]): Uint16Array {
  const parts = models.map((m) =>
    encodeModel(m.def, m.values, {
      ...(m.repeats ? { repeats: m.repeats } : {}),
      ...(m.groupValues ? { groupValues: m.groupValues } : {}),
    }),
  );
  const total = SUNS_MARKER.length + parts.reduce((sum, p) => sum + p.length, 0) + END_MARKER.length;
  const image = new Uint16Array(total);
  image.set(SUNS_MARKER, 0);
  let at = SUNS_MARKER.length;
  for (const part of parts) {
    image.set(part, at);
    at += part.length;
  }
  image.set(END_MARKER, at);
  return image;
}

/** Register offset of every top-level point, relative to the model's ID register. */
export function pointOffsets(def: ModelDef): Readonly<Record<string, number>> {
  const offsets: Record<string, number> = {};
  let at = 0;
  for (const point of def.group.points) {
    offsets[point.name] = at;
    at += point.size;
  }
  return offsets;
}

/** The offset and definition of one top-level point; throws if the model has no such point. */
export function pointAt(def: ModelDef, name: string): { offset: number; point: PointDef } {
  let offset = 0;
  for (const point of def.group.points) {
    if (point.name === name) return { offset, point };
    offset += point.size;
  }
  throw new Error(`SunSpec model ${def.id} (${def.name}) has no top-level point ${name}`);
}

/**
 * The smallest exponent in -6..+6 at which every value fits its point's type — the finest
 * resolution that still fits — or throws naming the point that fits none.
 */
export function chooseScaleFactor(refs: ReadonlyArray<{ point: PointDef; value: number }>): number {
  for (let e = AUTO_SF_MIN; e <= AUTO_SF_MAX; e++) {
    if (refs.every(({ point, value }) => fitsAt(point, value, e))) return e;
  }
  const worst = refs.find(({ point, value }) => !fitsAt(point, value, AUTO_SF_MAX));
  throw new RangeError(
    `SunSpec point ${worst?.point.name ?? '?'}: ${worst?.value ?? '?'} does not fit ${worst?.point.type ?? '?'} at any scale factor from ${AUTO_SF_MIN} to ${AUTO_SF_MAX}`,
  );
}

// ---- decoding internals ---------------------------------------------------------------------

type Scope = ReadonlyArray<Map<string, DecodedPoint>>;

function decodeGroup(
  group: GroupDef,
  regs: ArrayLike<number>,
  cursor: { offset: number; end: number },
  outer: Scope,
  isTop: boolean,
  where: string,
): DecodedGroup {
  // Scale factors usually follow the points that use them, so read every raw value of the
  // group before scaling any of them.
  const own = new Map<string, DecodedPoint>();
  const placed: Array<{ point: PointDef; offset: number; present: boolean }> = [];
  for (const point of group.points) {
    const present = cursor.offset + point.size <= cursor.end;
    placed.push({ point, offset: cursor.offset, present });
    own.set(point.name, present ? decodePointValue(point, regs, 0, cursor.offset) : absent(point));
    cursor.offset += point.size;
  }
  const scope: Scope = [own, ...outer];
  const points: Record<string, DecodedPoint> = {};
  for (const { point, offset, present } of placed) {
    // A device may implement an older, shorter revision of a model: points past L are absent.
    points[point.name] =
      present && point.sf !== undefined
        ? decodePointValue(point, regs, exponentIn(point, scope), offset)
        : own.get(point.name)!;
  }
  const groups: Record<string, DecodedGroup[]> = {};
  const children = group.groups ?? [];
  children.forEach((child, index) => {
    const trailing = isTop && index === children.length - 1;
    const repeats = decodedRepeats(child, scope, trailing, cursor, where);
    const items: DecodedGroup[] = [];
    for (let i = 0; i < repeats; i++) {
      if (cursor.offset >= cursor.end) {
        throw new Error(
          `${where}: group ${child.name} repeat ${i + 1} of ${repeats} starts at offset ${cursor.offset}, past the model end ${cursor.end}`,
        );
      }
      items.push(decodeGroup(child, regs, cursor, scope, false, where));
    }
    groups[child.name] = items;
  });
  return { points, groups };
}

function decodedRepeats(
  child: GroupDef,
  scope: Scope,
  trailing: boolean,
  cursor: { offset: number; end: number },
  where: string,
): number {
  if (typeof child.count === 'string') {
    const holder = lookup(scope, child.count);
    if (!holder)
      throw new Error(`${where}: group ${child.name} counts by ${child.count}, which is not defined`);
    return holder.implemented && typeof holder.raw === 'number' ? holder.raw : 0;
  }
  if (trailing && (child.count === undefined || child.count === 0)) {
    const size = fixedSize(child, where);
    return size === 0 ? 0 : Math.floor(Math.max(0, cursor.end - cursor.offset) / size);
  }
  return child.count ?? 1;
}

function exponentIn(point: PointDef, scope: Scope): number | null {
  if (typeof point.sf === 'number') return point.sf;
  if (point.sf === undefined) return null;
  const holder = lookup(scope, point.sf);
  if (!holder?.implemented || typeof holder.raw !== 'number') return null;
  // The model schema bounds scale factors to -10..10; anything else is a garbage register.
  return Math.abs(holder.raw) <= SF_LIMIT ? holder.raw : null;
}

function lookup(scope: Scope, name: string): DecodedPoint | undefined {
  for (const points of scope) {
    const hit = points.get(name);
    if (hit) return hit;
  }
  return undefined;
}

function absent(point: PointDef): DecodedPoint {
  const decoded: DecodedPoint = {
    name: point.name,
    value: null,
    raw: readRaw(point, sentinel(point), 0),
    implemented: false,
  };
  if (point.units !== undefined) decoded.units = point.units;
  return decoded;
}

/** Registers of one repeat of a group whose size does not depend on data. */
function fixedSize(group: GroupDef, where: string): number {
  let size = group.points.reduce((sum, p) => sum + p.size, 0);
  for (const child of group.groups ?? []) {
    if (typeof child.count === 'string' || child.count === 0) {
      throw new Error(`${where}: group ${group.name} repeats by length but its child ${child.name} varies`);
    }
    size += fixedSize(child, where) * (child.count ?? 1);
  }
  return size;
}

function readRaw(point: PointDef, regs: ArrayLike<number>, offset: number): number | bigint | string {
  const r = (i: number): number => (regs[offset + i] ?? 0) & 0xffff;
  switch (point.type) {
    case 'int16':
    case 'sunssf':
      return r(0) >= 0x8000 ? r(0) - TWO_16 : r(0);
    case 'uint16':
    case 'acc16':
    case 'enum16':
    case 'bitfield16':
    case 'pad':
    case 'count':
      return r(0);
    case 'uint32':
    case 'acc32':
    case 'enum32':
    case 'bitfield32':
    case 'ipaddr':
      return r(0) * TWO_16 + r(1);
    case 'int32': {
      const u = r(0) * TWO_16 + r(1);
      return u >= 0x80000000 ? u - TWO_32 : u;
    }
    case 'uint64':
    case 'acc64':
    case 'bitfield64':
    case 'eui48':
      return readBig(r, 4);
    case 'int64':
      return BigInt.asIntN(64, readBig(r, 4));
    case 'float32': {
      const view = new DataView(new ArrayBuffer(4));
      view.setUint16(0, r(0));
      view.setUint16(2, r(1));
      return view.getFloat32(0);
    }
    case 'float64': {
      const view = new DataView(new ArrayBuffer(8));
      for (let i = 0; i < 4; i++) view.setUint16(i * 2, r(i));
      return view.getFloat64(0);
    }
    case 'ipv6addr':
      return readBig(r, 8).toString(16).padStart(32, '0');
    case 'string': {
      let text = '';
      for (let i = 0; i < point.size; i++) {
        for (const byte of [r(i) >> 8, r(i) & 0xff]) {
          // NUL ends the text: the rest of the field is padding.
          if (byte === 0) return text;
          text += String.fromCharCode(byte);
        }
      }
      return text;
    }
  }
}

function readBig(r: (i: number) => number, count: number): bigint {
  let v = 0n;
  for (let i = 0; i < count; i++) v = (v << 16n) | BigInt(r(i));
  return v;
}

function isImplemented(type: PointType, raw: number | bigint | string): boolean {
  switch (type) {
    case 'int16':
    case 'sunssf':
      return raw !== -0x8000;
    case 'uint16':
    case 'enum16':
    case 'bitfield16':
      return raw !== 0xffff;
    // Accumulators read 0 when the device does not accumulate (SunSpec's "not accumulated").
    case 'acc16':
    case 'acc32':
    case 'acc64':
    case 'ipaddr':
      return raw !== 0 && raw !== 0n;
    case 'int32':
      return raw !== -0x80000000;
    case 'uint32':
    case 'enum32':
    case 'bitfield32':
      return raw !== 0xffffffff;
    case 'int64':
      return raw !== I64_MIN;
    case 'uint64':
    case 'bitfield64':
      return raw !== U64_MAX;
    case 'eui48':
      return raw !== U64_MAX && raw !== 0n;
    case 'float32':
    case 'float64':
      return !Number.isNaN(raw);
    case 'string':
      return raw !== '';
    case 'ipv6addr':
      return /[^0]/.test(raw as string);
    case 'pad':
      return false;
    case 'count':
      return true;
  }
}

function symbolFor(point: PointDef, n: number): string | undefined {
  for (const [name, value] of Object.entries(point.symbols ?? {})) if (value === n) return name;
  return undefined;
}

/** raw × 10^sf, dividing for negative exponents so that 2305 × 10^-1 is exactly 230.5. */
function scale(raw: number, sf: number): number {
  return sf >= 0 ? raw * 10 ** sf : raw / 10 ** -sf;
}

// ---- encoding internals ---------------------------------------------------------------------

interface Instance {
  def: GroupDef;
  values: Record<string, PointInput>;
  parent: Instance | null;
  children: Array<{ def: GroupDef; items: Instance[] }>;
}

function buildInstance(
  def: GroupDef,
  given: GroupValues,
  parent: Instance | null,
  isTop: boolean,
  opts: EncodeOptions,
  where: string,
): Instance {
  const inst: Instance = { def, values: { ...given.values }, parent, children: [] };
  const children = def.groups ?? [];
  children.forEach((child, index) => {
    const provided = given.groups?.[child.name];
    const trailing = isTop && index === children.length - 1;
    const repeats = encodedRepeats(child, inst, provided, trailing, opts, where);
    if (provided && provided.length > repeats) {
      throw new RangeError(
        `${where}: ${provided.length} values given for group ${child.name}, which repeats ${repeats} times`,
      );
    }
    const items: Instance[] = [];
    for (let i = 0; i < repeats; i++)
      items.push(buildInstance(child, provided?.[i] ?? {}, inst, false, opts, where));
    inst.children.push({ def: child, items });
  });
  return inst;
}

function encodedRepeats(
  child: GroupDef,
  inst: Instance,
  provided: GroupValues[] | undefined,
  trailing: boolean,
  opts: EncodeOptions,
  where: string,
): number {
  const wanted = opts.repeats?.[child.name] ?? provided?.length;
  if (typeof child.count === 'string') {
    const holder = ownerOf(inst, child.count);
    if (!holder)
      throw new Error(`${where}: group ${child.name} counts by ${child.count}, which is not defined`);
    const explicit = holder.values[child.count];
    if (typeof explicit === 'number') return explicit;
    const repeats = wanted ?? 0;
    holder.values[child.count] = repeats;
    return repeats;
  }
  if (trailing && (child.count === undefined || child.count === 0)) return wanted ?? child.count ?? 1;
  return child.count ?? 1;
}

function ownerOf(inst: Instance, name: string): Instance | null {
  for (let at: Instance | null = inst; at; at = at.parent) {
    if (at.def.points.some((p) => p.name === name)) return at;
  }
  return null;
}

function* allInstances(inst: Instance): Generator<Instance> {
  yield inst;
  for (const child of inst.children) for (const item of child.items) yield* allInstances(item);
}

type Exponents = Map<Instance, Map<string, number | null>>;

function resolveScaleFactors(top: Instance, where: string): Exponents {
  const refs = new Map<Instance, Map<string, Array<{ point: PointDef; value: number }>>>();
  for (const inst of allInstances(top)) {
    for (const point of inst.def.points) {
      if (typeof point.sf !== 'string') continue;
      const owner = ownerOf(inst, point.sf);
      if (!owner)
        throw new Error(`${where}: point ${point.name} scales by ${point.sf}, which is not defined`);
      const value = inst.values[point.name];
      const byName = refs.get(owner) ?? new Map<string, Array<{ point: PointDef; value: number }>>();
      refs.set(owner, byName);
      const list = byName.get(point.sf) ?? [];
      byName.set(point.sf, list);
      if (typeof value === 'number') list.push({ point, value });
      else if (typeof value === 'bigint') list.push({ point, value: Number(value) });
    }
  }
  const exponents: Exponents = new Map();
  for (const inst of allInstances(top)) {
    const own = new Map<string, number | null>();
    for (const point of inst.def.points) {
      if (point.type !== 'sunssf') continue;
      const explicit = inst.values[point.name];
      if (typeof explicit === 'number') own.set(point.name, explicit);
      else if (explicit === null) own.set(point.name, null);
      else {
        const list = refs.get(inst)?.get(point.name) ?? [];
        try {
          own.set(point.name, list.length > 0 ? chooseScaleFactor(list) : null);
        } catch (err) {
          const message = err instanceof Error ? err.message : String(err);
          throw new RangeError(`${where}: ${message}`, { cause: err });
        }
      }
    }
    exponents.set(inst, own);
  }
  return exponents;
}

function writeInstance(inst: Instance, exponents: Exponents, out: number[], where: string): void {
  for (const point of inst.def.points) {
    let sf: number | null | undefined;
    if (typeof point.sf === 'number') sf = point.sf;
    else if (typeof point.sf === 'string') {
      const owner = ownerOf(inst, point.sf)!;
      sf = exponents.get(owner)?.get(point.sf) ?? null;
    }
    const value = point.type === 'sunssf' ? exponents.get(inst)?.get(point.name) : inst.values[point.name];
    try {
      out.push(...encodePointValue(point, value, sf));
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      throw new RangeError(`${where}: ${message}`, { cause: err });
    }
  }
  for (const child of inst.children)
    for (const item of child.items) writeInstance(item, exponents, out, where);
}

function sentinel(point: PointDef): number[] {
  const regs = new Array<number>(point.size).fill(0);
  switch (point.type) {
    case 'int16':
    case 'sunssf':
    case 'pad':
    case 'int32':
    case 'int64':
      regs[0] = 0x8000;
      return regs;
    case 'uint16':
    case 'enum16':
    case 'bitfield16':
    case 'uint32':
    case 'enum32':
    case 'bitfield32':
    case 'uint64':
    case 'bitfield64':
    case 'eui48':
      return regs.fill(0xffff);
    case 'float32':
      regs[0] = 0x7fc0;
      return regs;
    case 'float64':
      regs[0] = 0x7ff8;
      return regs;
    case 'acc16':
    case 'acc32':
    case 'acc64':
    case 'count':
    case 'string':
    case 'ipaddr':
    case 'ipv6addr':
      return regs;
  }
}

/** The range of raw values a type can carry, its not-implemented sentinel excluded. */
export function rawRange(type: PointType): [bigint, bigint] {
  switch (type) {
    case 'int16':
      return [-0x7fffn, 0x7fffn];
    case 'sunssf':
      return [BigInt(-SF_LIMIT), BigInt(SF_LIMIT)];
    case 'uint16':
    case 'enum16':
    case 'bitfield16':
      return [0n, 0xfffen];
    case 'acc16':
    case 'count':
    case 'pad':
      return [0n, 0xffffn];
    case 'int32':
      return [-0x7fffffffn, 0x7fffffffn];
    case 'uint32':
    case 'enum32':
    case 'bitfield32':
      return [0n, 0xfffffffen];
    case 'acc32':
    case 'ipaddr':
      return [0n, 0xffffffffn];
    case 'int64':
      return [I64_MIN + 1n, -(I64_MIN + 1n)];
    case 'uint64':
    case 'bitfield64':
      return [0n, U64_MAX - 1n];
    case 'acc64':
    case 'eui48':
      return [0n, U64_MAX];
    case 'ipv6addr':
      return [0n, (1n << 128n) - 1n];
    case 'float32':
    case 'float64':
    case 'string':
      return [0n, 0n];
  }
}

function checkRange(point: PointDef, n: number | bigint, where: string): bigint {
  const big = typeof n === 'bigint' ? n : BigInt(n);
  const [lo, hi] = rawRange(point.type);
  if (big < lo || big > hi) {
    throw new RangeError(`${where}: raw value ${big} is outside ${point.type} range ${lo}..${hi}`);
  }
  return big;
}

function fitsAt(point: PointDef, value: number, exponent: number): boolean {
  if (point.type === 'float32' || point.type === 'float64') return true;
  const scaled = roundHalfAway(exponent >= 0 ? value / 10 ** exponent : value * 10 ** -exponent);
  if (!Number.isFinite(scaled)) return false;
  const [lo, hi] = rawRange(point.type);
  const big = BigInt(scaled);
  return big >= lo && big <= hi;
}

function unscale(value: number, exponent: number, where: string): bigint {
  if (!Number.isFinite(value)) throw new RangeError(`${where}: ${value} is not a finite number`);
  return BigInt(roundHalfAway(exponent >= 0 ? value / 10 ** exponent : value * 10 ** -exponent));
}

function roundHalfAway(x: number): number {
  return Math.sign(x) * Math.round(Math.abs(x));
}

function writeInteger(point: PointDef, n: bigint): number[] {
  return writeUnsigned(point, BigInt.asUintN(point.size * 16, n));
}

function writeUnsigned(point: PointDef, n: bigint): number[] {
  const regs = new Array<number>(point.size);
  let v = BigInt.asUintN(point.size * 16, n);
  for (let i = point.size - 1; i >= 0; i--) {
    regs[i] = Number(v & 0xffffn);
    v >>= 16n;
  }
  return regs;
}

function writeFloat(point: PointDef, x: number): number[] {
  const view = new DataView(new ArrayBuffer(point.size * 2));
  if (point.type === 'float32') view.setFloat32(0, x);
  else view.setFloat64(0, x);
  const regs: number[] = [];
  for (let i = 0; i < point.size; i++) regs.push(view.getUint16(i * 2));
  return regs;
}

function encodeString(point: PointDef, text: string): number[] {
  const where = `SunSpec point ${point.name}`;
  if (text.length > point.size * 2) {
    throw new RangeError(
      `${where}: "${text}" is ${text.length} characters, the field holds ${point.size * 2}`,
    );
  }
  const bytes = new Array<number>(point.size * 2).fill(0);
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code === 0 || code > 0xff)
      throw new RangeError(`${where}: character ${i} of "${text}" is not 8-bit text`);
    bytes[i] = code;
  }
  const regs: number[] = [];
  for (let i = 0; i < point.size; i++) regs.push((bytes[2 * i]! << 8) | bytes[2 * i + 1]!);
  return regs;
}

function enumNumber(point: PointDef, value: Exclude<PointInput, null | undefined>): number | bigint {
  if (typeof value === 'number' || typeof value === 'bigint') return value;
  if (typeof value === 'string') {
    const n = point.symbols?.[value];
    if (n === undefined) {
      throw new RangeError(
        `SunSpec point ${point.name}: unknown symbol ${value} (known: ${symbolList(point)})`,
      );
    }
    return n;
  }
  throw new TypeError(
    `SunSpec point ${point.name}: expected a symbol name or number, got ${describe(value)}`,
  );
}

function bitfieldNumber(point: PointDef, value: Exclude<PointInput, null | undefined>): number | bigint {
  if (typeof value === 'number' || typeof value === 'bigint') return value;
  const names = typeof value === 'string' ? [value] : value;
  let bits = 0n;
  for (const name of names) {
    const bit = point.symbols?.[name];
    if (bit === undefined) {
      throw new RangeError(`SunSpec point ${point.name}: unknown flag ${name} (known: ${symbolList(point)})`);
    }
    bits |= 1n << BigInt(bit);
  }
  return bits;
}

function symbolList(point: PointDef): string {
  const names = Object.keys(point.symbols ?? {});
  return names.length > 0 ? names.join(', ') : 'none';
}

function toBig(value: Exclude<PointInput, null | undefined>, where: string): bigint {
  if (typeof value === 'bigint') return value;
  if (typeof value === 'number' && Number.isInteger(value)) return BigInt(value);
  throw new TypeError(`${where}: expected an address string or integer, got ${describe(value)}`);
}

function describe(value: unknown): string {
  return Array.isArray(value) ? 'an array' : typeof value;
}

function formatIpv4(raw: number): string {
  return [raw >>> 24, (raw >>> 16) & 0xff, (raw >>> 8) & 0xff, raw & 0xff].join('.');
}

function parseIpv4(text: string, where: string): bigint {
  const parts = text.split('.').map(Number);
  if (parts.length !== 4 || parts.some((n) => !Number.isInteger(n) || n < 0 || n > 255)) {
    throw new RangeError(`${where}: "${text}" is not a dotted IPv4 address`);
  }
  return parts.reduce((acc, n) => (acc << 8n) | BigInt(n), 0n);
}

function formatIpv6(hex: string): string {
  return hex.match(/.{4}/g)!.join(':');
}

function parseIpv6(text: string, where: string): bigint {
  const halves = text.split('::');
  if (halves.length > 2) throw new RangeError(`${where}: "${text}" is not an IPv6 address`);
  const head = halves[0] ? halves[0].split(':') : [];
  const tail = halves.length === 2 && halves[1] ? halves[1].split(':') : [];
  const fill = halves.length === 2 ? 8 - head.length - tail.length : 0;
  const words = [...head, ...new Array<string>(Math.max(0, fill)).fill('0'), ...tail];
  if (words.length !== 8 || words.some((w) => !/^[0-9a-f]{1,4}$/i.test(w))) {
    throw new RangeError(`${where}: "${text}" is not an IPv6 address`);
  }
  return words.reduce((acc, w) => (acc << 16n) | BigInt(parseInt(w, 16)), 0n);
}

function formatEui48(raw: bigint): string {
  return (raw & 0xffffffffffffn).toString(16).padStart(12, '0').match(/.{2}/g)!.join(':');
}

function parseEui48(text: string, where: string): bigint {
  const parts = text.split(/[:-]/);
  if (parts.length !== 6 || parts.some((b) => !/^[0-9a-f]{2}$/i.test(b))) {
    throw new RangeError(`${where}: "${text}" is not a 48-bit MAC address`);
  }
  return parts.reduce((acc, b) => (acc << 8n) | BigInt(parseInt(b, 16)), 0n);
}
