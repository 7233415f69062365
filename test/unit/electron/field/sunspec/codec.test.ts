import { describe, expect, it } from 'vitest';
import {
  buildSunSpecImage,
  chooseScaleFactor,
  decodeModel,
  decodePointValue,
  encodeModel,
  encodePointValue,
  pointAt,
  pointOffsets,
  type DecodedGroup,
  type GroupValues,
  type PointInput,
} from '../../../../../electron/field/sunspec/codec.ts';
import { SUNSPEC_MODELS } from '../../../../../electron/field/sunspec/models/index.ts';
import { group, model, p, str } from '../../../../../electron/field/sunspec/models/notation.ts';
import type { GroupDef, ModelDef, PointDef, PointType } from '../../../../../electron/field/sunspec/types.ts';

function def(id: number): ModelDef {
  const found = SUNSPEC_MODELS.get(id);
  if (!found) throw new Error(`model ${id} is not defined`);
  return found;
}

/** Deterministic PRNG (mulberry32) so a failing round trip can be replayed. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const RAW_RANGE: Partial<Record<PointType, [number, number]>> = {
  int16: [-32767, 32767],
  uint16: [0, 65534],
  acc16: [1, 65535],
  int32: [-2147483647, 2147483647],
  uint32: [0, 4294967294],
  acc32: [1, 4294967295],
  // Kept below 2^53 so the engineering value is an exact double.
  uint64: [0, 2 ** 40],
  int64: [-(2 ** 40), 2 ** 40],
  acc64: [1, 2 ** 40],
  enum16: [0, 65534],
  enum32: [0, 4294967294],
};

function scaled(raw: number, sf: number): number {
  return sf >= 0 ? raw * 10 ** sf : raw / 10 ** -sf;
}

interface Expectation {
  raw: number | string;
  value: number | string | string[];
}

/** Random values for one group: inputs for the encoder and what the decoder must give back. */
function randomGroup(
  g: GroupDef,
  rand: () => number,
  scope: Map<string, number>,
): {
  input: GroupValues;
  expect: Map<string, Expectation>;
  children: Map<string, Array<ReturnType<typeof randomGroup>>>;
} {
  const int = (lo: number, hi: number): number => lo + Math.floor(rand() * (hi - lo + 1));
  const values: Record<string, PointInput> = {};
  const expect = new Map<string, Expectation>();
  const own = new Map(scope);
  for (const point of g.points) {
    if (point.type === 'sunssf') {
      const sf = int(-3, 2);
      values[point.name] = sf;
      own.set(point.name, sf);
      expect.set(point.name, { raw: sf, value: sf });
    }
  }
  for (const point of g.points) {
    if (point.name === 'ID' || point.name === 'L' || point.type === 'sunssf' || point.type === 'pad')
      continue;
    const symbols = Object.entries(point.symbols ?? {});
    switch (point.type) {
      case 'string': {
        const length = int(1, point.size * 2);
        let text = '';
        for (let i = 0; i < length; i++) text += String.fromCharCode(int(0x20, 0x7e));
        values[point.name] = text;
        expect.set(point.name, { raw: text, value: text });
        break;
      }
      case 'enum16':
      case 'enum32':
        if (symbols.length > 0) {
          const [name, n] = symbols[int(0, symbols.length - 1)]!;
          values[point.name] = name;
          expect.set(point.name, { raw: n, value: name });
        } else {
          const n = int(...RAW_RANGE[point.type]!);
          values[point.name] = n;
          expect.set(point.name, { raw: n, value: n });
        }
        break;
      case 'bitfield16':
      case 'bitfield32': {
        if (symbols.length > 0) {
          const set = symbols.filter(() => rand() < 0.4);
          values[point.name] = set.map(([name]) => name);
          expect.set(point.name, {
            raw: set.reduce((acc, [, bit]) => acc + 2 ** bit, 0),
            value: set.map(([name]) => name),
          });
        } else {
          const n = int(0, point.type === 'bitfield16' ? 0xfffe : 0xfffffffe);
          values[point.name] = n;
          expect.set(point.name, { raw: n, value: [] });
        }
        break;
      }
      case 'float32': {
        const x = Math.fround((rand() - 0.5) * 10 ** int(-2, 6));
        values[point.name] = x;
        expect.set(point.name, { raw: x, value: x });
        break;
      }
      default: {
        const range = RAW_RANGE[point.type];
        if (!range) throw new Error(`no random range for ${point.type} (${point.name})`);
        const raw = int(...range);
        const sf = typeof point.sf === 'number' ? point.sf : point.sf === undefined ? 0 : own.get(point.sf)!;
        values[point.name] = scaled(raw, sf);
        expect.set(point.name, { raw, value: scaled(raw, sf) });
      }
    }
  }
  const children = new Map<string, Array<ReturnType<typeof randomGroup>>>();
  const groups: Record<string, GroupValues[]> = {};
  for (const child of g.groups ?? []) {
    const repeats = typeof child.count === 'number' ? child.count : 1;
    const items = Array.from({ length: repeats }, () => randomGroup(child, rand, own));
    children.set(child.name, items);
    groups[child.name] = items.map((item) => item.input);
  }
  return { input: { values, groups }, expect, children };
}

function checkGroup(decoded: DecodedGroup, generated: ReturnType<typeof randomGroup>, where: string): void {
  for (const [name, want] of generated.expect) {
    const got = decoded.points[name];
    expect(got, `${where} ${name}`).toBeDefined();
    expect(got!.implemented, `${where} ${name} implemented`).toBe(true);
    expect(typeof got!.raw === 'bigint' ? Number(got!.raw) : got!.raw, `${where} ${name} raw`).toEqual(
      want.raw,
    );
    expect(got!.value, `${where} ${name} value`).toEqual(want.value);
  }
  for (const [name, items] of generated.children) {
    expect(decoded.groups[name]?.length, `${where} group ${name}`).toBe(items.length);
    items.forEach((item, i) => checkGroup(decoded.groups[name]![i]!, item, `${where} ${name}[${i}]`));
  }
}

describe('round trip of every defined model', () => {
  for (const modelDef of SUNSPEC_MODELS.values()) {
    it(`model ${modelDef.id} (${modelDef.name}) decodes what it encodes`, () => {
      const rand = prng(modelDef.id);
      for (let trial = 0; trial < 20; trial++) {
        const generated = randomGroup(modelDef.group, rand, new Map());
        const regs = encodeModel(modelDef, generated.input.values ?? {}, {
          groupValues: generated.input.groups ?? {},
        });
        expect(regs[0]).toBe(modelDef.id);
        expect(regs[1]).toBe(regs.length - 2);
        const decoded = decodeModel(modelDef, regs);
        expect(decoded.id).toBe(modelDef.id);
        expect(decoded.length).toBe(regs.length - 2);
        checkGroup(decoded, generated, `model ${modelDef.id} trial ${trial}:`);
      }
    });
  }
});

describe('not-implemented values', () => {
  it('encodes absent points as sentinels that decode as null in every model', () => {
    for (const modelDef of SUNSPEC_MODELS.values()) {
      const decoded = decodeModel(modelDef, encodeModel(modelDef, {}));
      const groups: DecodedGroup[] = [decoded, ...Object.values(decoded.groups).flat()];
      for (const g of groups) {
        for (const point of Object.values(g.points)) {
          if (point.name === 'ID' || point.name === 'L') continue;
          expect(point.implemented, `model ${modelDef.id} ${point.name}`).toBe(false);
          expect(point.value, `model ${modelDef.id} ${point.name}`).toBeNull();
        }
      }
    }
  });

  const cases: Array<[PointType, number[]]> = [
    ['int16', [0x8000]],
    ['uint16', [0xffff]],
    ['acc16', [0x0000]],
    ['acc32', [0x0000, 0x0000]],
    ['acc64', [0, 0, 0, 0]],
    ['int32', [0x8000, 0x0000]],
    ['uint32', [0xffff, 0xffff]],
    ['int64', [0x8000, 0, 0, 0]],
    ['uint64', [0xffff, 0xffff, 0xffff, 0xffff]],
    ['float32', [0x7fc0, 0x0000]],
    ['float32', [0xffff, 0xffff]],
    ['float64', [0x7ff8, 0, 0, 0]],
    ['enum16', [0xffff]],
    ['enum32', [0xffff, 0xffff]],
    ['bitfield16', [0xffff]],
    ['bitfield32', [0xffff, 0xffff]],
    ['bitfield64', [0xffff, 0xffff, 0xffff, 0xffff]],
    ['sunssf', [0x8000]],
    ['ipaddr', [0, 0]],
    ['ipv6addr', [0, 0, 0, 0, 0, 0, 0, 0]],
    ['eui48', [0xffff, 0xffff, 0xffff, 0xffff]],
    ['pad', [0x8000]],
  ];
  for (const [type, regs] of cases) {
    it(`reads ${type} ${regs.map((r) => r.toString(16)).join(' ')} as not implemented`, () => {
      const point: PointDef = { name: 'X', type, size: regs.length };
      const decoded = decodePointValue(point, regs);
      expect(decoded.implemented).toBe(false);
      expect(decoded.value).toBeNull();
      expect(encodePointValue(point, undefined)).toHaveLength(regs.length);
      expect(decodePointValue(point, encodePointValue(point, undefined)).implemented).toBe(false);
    });
  }

  it('reads an all-zero string as not implemented', () => {
    const point = str('SN', 4);
    expect(decodePointValue(point, [0, 0, 0, 0])).toMatchObject({ implemented: false, value: null, raw: '' });
  });

  it('leaves a value null when its scale factor is not implemented', () => {
    const regs = encodeModel(def(203), { W: 1500 });
    const w = pointOffsets(def(203)).W_SF!;
    regs[w] = 0x8000;
    const decoded = decodeModel(def(203), regs);
    expect(decoded.points.W_SF!.implemented).toBe(false);
    expect(decoded.points.W!.value).toBeNull();
    expect(decoded.points.W!.implemented).toBe(true);
  });

  it('leaves a value null when its scale factor is outside the schema range -10..10', () => {
    const regs = encodeModel(def(203), { W: 1500 });
    regs[pointOffsets(def(203)).W_SF!] = 300;
    expect(decodeModel(def(203), regs).points.W!.value).toBeNull();
  });

  it('treats points past a short L as absent (an older, shorter revision of the model)', () => {
    const full = encodeModel(def(1), { Mn: 'Acme', Md: 'X', SN: '1', DA: 7 });
    const short = Uint16Array.from(full.subarray(0, full.length - 1));
    short[1] = short.length - 2;
    const decoded = decodeModel(def(1), short);
    expect(decoded.points.DA!.value).toBe(7);
    expect(decoded.points.Pad!.implemented).toBe(false);
  });
});

describe('scale factors', () => {
  it('scales by a named sunssf, reading it after the points that use it', () => {
    const regs = encodeModel(def(103), { W: 4321, W_SF: 1 });
    const decoded = decodeModel(def(103), regs);
    expect(decoded.points.W!.raw).toBe(432);
    expect(decoded.points.W!.value).toBe(4320);
    expect(decoded.points.W_SF!.value).toBe(1);
  });

  it('chooses the finest exponent at which every point that shares the factor fits', () => {
    const regs = encodeModel(def(203), { A: 12.34, AphA: 4.5, AphB: 150, AphC: 0.001 });
    const decoded = decodeModel(def(203), regs);
    // 150 needs at most 2 decimals in int16 (15000 ≤ 32767); 3 decimals would overflow.
    expect(decoded.points.A_SF!.value).toBe(-2);
    expect(decoded.points.A!.value).toBe(12.34);
    expect(decoded.points.AphB!.value).toBe(150);
    expect(decoded.points.AphC!.value).toBe(0);
  });

  it('chooses a positive exponent for values too large for the type', () => {
    expect(chooseScaleFactor([{ point: p('W', 'int16', 'W_SF'), value: 250_000 }])).toBe(1);
    expect(chooseScaleFactor([{ point: p('W', 'uint16', 'W_SF'), value: 65_534 }])).toBe(0);
    expect(chooseScaleFactor([{ point: p('W', 'uint16', 'W_SF'), value: 1.5 }])).toBe(-4);
    expect(chooseScaleFactor([{ point: p('E', 'acc32', 'E_SF'), value: 123456.7 }])).toBe(-4);
  });

  it('respects the range of each type that shares a factor (802 W and ReqW are int16)', () => {
    const regs = encodeModel(def(802), { W: -20_000.5, ReqW: 1_000 });
    const decoded = decodeModel(def(802), regs);
    expect(decoded.points.W_SF!.value).toBe(0);
    expect(decoded.points.W!.value).toBe(-20_001);
    expect(decoded.points.ReqW!.value).toBe(1_000);
  });

  it('rounds to the nearest step, halves away from zero', () => {
    const point = p('W', 'int16', 'W_SF');
    expect(encodePointValue(point, 12.5, 0)).toEqual([13]);
    expect(encodePointValue(point, -12.5, 0)).toEqual([0x10000 - 13]);
    expect(encodePointValue(point, 1.234, -2)).toEqual([123]);
    expect(encodePointValue(point, 1449, 2)).toEqual([14]);
  });

  it('supports a numeric scale factor in the definition', () => {
    const point = p('Pct', 'uint16', -1, '%');
    expect(encodePointValue(point, 55.5, -1)).toEqual([555]);
    expect(decodePointValue(point, [555], -1).value).toBe(55.5);
    const m = model(64001, 'fixed_sf', 'Fixed', [point]);
    expect(decodeModel(m, encodeModel(m, { Pct: 12.3 })).points.Pct!.value).toBe(12.3);
  });

  it('rejects values that fit no exponent, naming the point', () => {
    expect(() => encodeModel(def(203), { W: 1e12 })).toThrow(/W.*does not fit int16/);
  });

  it('rejects an explicit exponent the value does not fit', () => {
    expect(() => encodeModel(def(203), { W: 40_000, W_SF: 0 })).toThrow(/model 203.*W.*outside int16/);
  });
});

describe('strings', () => {
  const point = str('Mn', 4);

  it('packs two ASCII characters per register, high byte first, NUL padded', () => {
    expect(encodePointValue(point, 'ABC')).toEqual([0x4142, 0x4300, 0, 0]);
    expect(decodePointValue(point, [0x4142, 0x4300, 0, 0]).value).toBe('ABC');
  });

  it('fills the field exactly and stops at the first NUL', () => {
    expect(decodePointValue(point, encodePointValue(point, '12345678')).value).toBe('12345678');
    expect(decodePointValue(point, [0x4100, 0x4242, 0, 0]).value).toBe('A');
  });

  it('rejects text longer than the field', () => {
    expect(() => encodePointValue(point, '123456789')).toThrow(/Mn.*9 characters.*holds 8/);
  });

  it('round-trips the common model', () => {
    const values = { Mn: 'Commonwatt', Md: 'SIM-INV-3P', Opt: 'opt', Vr: '1.2.3', SN: 'CW0001', DA: 1 };
    const decoded = decodeModel(def(1), encodeModel(def(1), values));
    for (const [name, value] of Object.entries(values)) expect(decoded.points[name]!.value).toBe(value);
    expect(decoded.length).toBe(66);
  });
});

describe('enumerations and bit fields', () => {
  it('decodes an enum to its symbol name and accepts the name when encoding', () => {
    const decoded = decodeModel(def(103), encodeModel(def(103), { St: 'MPPT', StVnd: 42 }));
    expect(decoded.points.St).toMatchObject({ value: 'MPPT', raw: 4, symbol: 'MPPT' });
    expect(decoded.points.StVnd).toMatchObject({ value: 42, raw: 42 });
    expect(decoded.points.StVnd!.symbol).toBeUndefined();
  });

  it('gives the number for an enum value without a symbol', () => {
    expect(
      decodePointValue(
        def(103).group.points.find((x) => x.name === 'St')!,
        [77],
      ).value,
    ).toBe(77);
  });

  it('rejects an unknown symbol, listing the known ones', () => {
    expect(() => encodeModel(def(103), { St: 'RUNNING' })).toThrow(/unknown symbol RUNNING.*MPPT/);
  });

  it('lists the set flags of a bit field and keeps unnamed bits in raw', () => {
    const evt = pointAt(def(802), 'Evt1').point;
    const regs = encodePointValue(evt, ['OVER_TEMP_ALARM', 'CONFIGURATION_WARNING']);
    expect(regs).toEqual([0x2000, 0x0002]);
    expect(decodePointValue(evt, regs).value).toEqual(['OVER_TEMP_ALARM', 'CONFIGURATION_WARNING']);
    expect(decodePointValue(evt, [0x8000, 0x0001])).toMatchObject({
      value: ['COMMUNICATION_ERROR'],
      raw: 0x80000001,
    });
  });

  it('rejects an unknown flag', () => {
    expect(() => encodeModel(def(124), { StorCtl_Mod: ['DISCHARGE'] })).toThrow(
      /unknown flag DISCHARGE.*DiSCHARGE/,
    );
  });
});

describe('other types', () => {
  it('round-trips 32- and 64-bit integers, floats and addresses', () => {
    const cases: Array<[PointDef, PointInput, unknown]> = [
      [p('X', 'int32'), -123456789, -123456789],
      [p('X', 'uint64'), 2n ** 60n, 2 ** 60],
      [p('X', 'int64'), -5n, -5],
      [p('X', 'float64'), Math.PI, Math.PI],
      [p('X', 'float32'), 0.5, 0.5],
      [p('X', 'ipaddr'), '192.168.1.20', '192.168.1.20'],
      [p('X', 'ipv6addr'), 'fe80::1', 'fe80:0000:0000:0000:0000:0000:0000:0001'],
      [p('X', 'eui48'), '00:1a:2b:3c:4d:5e', '00:1a:2b:3c:4d:5e'],
      [p('X', 'count'), 0, 0],
    ];
    for (const [point, input, value] of cases) {
      const decoded = decodePointValue(point, encodePointValue(point, input));
      expect(decoded.value, `${point.type} ${String(input)}`).toBe(value);
    }
  });
});

describe('repeating groups', () => {
  // A model-160-style layout: scale factors and a count N at the top, N module repeats, and a
  // nested fixed pair of readings in every module.
  const modules: ModelDef = model(
    64100,
    'mppt_like',
    'MPPT-like',
    [p('DCA_SF', 'sunssf'), p('DCW_SF', 'sunssf'), p('N', 'count'), p('TmsPer', 'uint16')],
    [
      group(
        'module',
        [
          p('ID', 'uint16'),
          str('IDStr', 4),
          p('DCA', 'uint16', 'DCA_SF', 'A'),
          p('DCW', 'uint16', 'DCW_SF', 'W'),
          p('Tmp_SF', 'sunssf'),
        ],
        [group('probe', [p('Tmp', 'int16', 'Tmp_SF', 'C')], undefined, 2)],
        'N',
      ),
    ],
  );

  // The same without a count point: the repeats fill the model length L.
  const byLength: ModelDef = model(
    64101,
    'by_length',
    'By length',
    [p('W_SF', 'sunssf')],
    [group('string', [p('W', 'int16', 'W_SF', 'W'), p('St', 'enum16', null, null, '', { OFF: 0, ON: 1 })])],
  );

  const moduleValues = (i: number): GroupValues => ({
    values: { ID: i, IDStr: `MPPT${i}`, DCA: 1.25 * i, DCW: 300 * i },
    groups: { probe: [{ values: { Tmp: 20 + i } }, { values: { Tmp: -5 - i } }] },
  });

  it('sets the count point from the repeats and decodes each repeat with outer scale factors', () => {
    const regs = encodeModel(
      modules,
      { TmsPer: 60 },
      { groupValues: { module: [1, 2, 3].map(moduleValues) } },
    );
    // 4 top points + 3 × (1 + 4 + 1 + 1 + 1 + 2) module registers.
    expect(regs[1]).toBe(4 + 3 * 10);
    const decoded = decodeModel(modules, regs);
    expect(decoded.points.N!.value).toBe(3);
    expect(decoded.groups.module).toHaveLength(3);
    const second = decoded.groups.module![1]!;
    expect(second.points.IDStr!.value).toBe('MPPT2');
    expect(second.points.DCA!.value).toBe(2.5);
    expect(second.points.DCW!.value).toBe(600);
    expect(second.groups.probe!.map((g) => g.points.Tmp!.value)).toEqual([22, -7]);
  });

  it('chooses one shared scale factor that fits every repeat', () => {
    const regs = encodeModel(
      modules,
      {},
      {
        groupValues: { module: [{ values: { DCW: 0.5 } }, { values: { DCW: 60_000 } }] },
      },
    );
    const decoded = decodeModel(modules, regs);
    expect(decoded.points.DCW_SF!.value).toBe(0);
    expect(decoded.groups.module!.map((g) => g.points.DCW!.value)).toEqual([1, 60_000]);
  });

  it('honours opts.repeats, filling repeats without values with sentinels', () => {
    const decoded = decodeModel(modules, encodeModel(modules, {}, { repeats: { module: 2 } }));
    expect(decoded.points.N!.value).toBe(2);
    expect(decoded.groups.module!.map((g) => g.points.DCA!.implemented)).toEqual([false, false]);
  });

  it('derives the repeats of a trailing group from L when no count is given', () => {
    const regs = encodeModel(
      byLength,
      { W_SF: 0 },
      {
        groupValues: { string: [100, 200, 300, 400].map((w) => ({ values: { W: w, St: 'ON' } })) },
      },
    );
    expect(regs[1]).toBe(1 + 4 * 2);
    const decoded = decodeModel(byLength, regs);
    expect(decoded.groups.string!.map((g) => g.points.W!.value)).toEqual([100, 200, 300, 400]);
    expect(decoded.groups.string!.map((g) => g.points.St!.value)).toEqual(['ON', 'ON', 'ON', 'ON']);
  });

  it('rejects a count that runs past the model length', () => {
    const regs = encodeModel(modules, {}, { groupValues: { module: [moduleValues(1)] } });
    regs[pointOffsets(modules).N!] = 1000;
    expect(() => decodeModel(modules, regs)).toThrow(/model 64100.*module repeat 2 of 1000/);
  });

  it('rejects more values than a fixed count allows', () => {
    expect(() =>
      encodeModel(modules, {}, { groupValues: { module: [{ groups: { probe: [{}, {}, {}] } }] } }),
    ).toThrow(/3 values given for group probe, which repeats 2 times/);
  });

  it('decodes the sync groups of model 704 with the top-level PF_SF', () => {
    const regs = encodeModel(
      def(704),
      { PF_SF: -3 },
      {
        groupValues: {
          PFWInj: [{ values: { PF: 0.95, Ext: 'UNDER_EXCITED' } }],
          PFWAbsRvrt: [{ values: { PF: 0.9 } }],
        },
      },
    );
    const decoded = decodeModel(def(704), regs);
    expect(decoded.groups.PFWInj![0]!.points.PF!.value).toBe(0.95);
    expect(decoded.groups.PFWInj![0]!.points.Ext!.value).toBe('UNDER_EXCITED');
    expect(decoded.groups.PFWAbsRvrt![0]!.points.PF!.value).toBe(0.9);
    expect(decoded.groups.PFWAbs![0]!.points.PF!.implemented).toBe(false);
  });
});

describe('hand-made registers', () => {
  it('decodes a wye meter (model 203) as a real one would report it', () => {
    const S16 = 0x8000; // int16 / sunssf not implemented
    // prettier-ignore
    const regs = [
      203, 105,
      1234, 411, 412, 411, 0xfffe,              // A, AphA-C = 12.34 A …, A_SF = -2
      2301, 2302, 2300, 2301, 3985, 3986, 3984, 3985, 0xffff, // PhV…, PPV, PhVphAB-CA, V_SF = -1
      5002, 0xfffe,                             // Hz = 50.02, Hz_SF = -2
      0xfa24, 0xfe0c, 0xfe0c, 0xfe0c, 0,        // W = -1500, WphA-C = -500, W_SF = 0
      1520, 507, 507, 506, 0,                   // VA
      S16, S16, S16, S16, S16,                  // VAR not implemented
      0xfc74, S16, S16, S16, 0xfffd,            // PF = -0.908, PF_SF = -3
      0x0001, 0x86a0, 0, 0, 0, 0, 0, 0,         // TotWhExp = 100000, per phase not accumulated
      0x0012, 0xd687, 0, 0, 0, 0, 0, 0, 0,      // TotWhImp = 1234567, TotWh_SF = 0
      ...new Array<number>(16).fill(0), S16,    // TotVAh not accumulated
      ...new Array<number>(32).fill(0), S16,    // TotVArh not accumulated
      0x0000, 0x0014,                           // Evt: bits 2 and 4
    ];
    expect(regs).toHaveLength(107);
    expect(pointOffsets(def(203))).toMatchObject({ W: 18, TotWhExp: 38, TotWhImp: 46, Evt: 105 });
    const m = decodeModel(def(203), regs);
    expect(m.length).toBe(105);
    expect(m.points.A!.value).toBe(12.34);
    expect(m.points.PhVphA!.value).toBe(230.2);
    expect(m.points.PhVphAB!.value).toBe(398.6);
    expect(m.points.Hz!.value).toBe(50.02);
    expect(m.points.W!.value).toBe(-1500);
    expect(m.points.WphA!.value).toBe(-500);
    expect(m.points.VAR!).toMatchObject({ implemented: false, value: null });
    expect(m.points.PF!.value).toBe(-0.908);
    expect(m.points.TotWhExp).toMatchObject({ value: 100000, units: 'Wh' });
    expect(m.points.TotWhImp!.value).toBe(1234567);
    expect(m.points.TotWhExpPhA!.implemented).toBe(false);
    expect(m.points.TotVAh_SF!.implemented).toBe(false);
    expect(m.points.Evt!.value).toEqual(['M_EVENT_Power_Failure', 'M_EVENT_Low_PF']);
  });

  it('decodes a battery (model 802) as a real BMS would report it', () => {
    const S16 = 0x8000;
    const U16 = 0xffff;
    // prettier-ignore
    const regs = [
      802, 62,
      280, 1440, 500, 500, U16,                 // AHRtg = 280 Ah, WHRtg = 14.4 kWh, W(Dis)ChaRteMax = 5 kW
      950, 50, U16, U16, 675, U16, 98,          // SoCMax 95 %, SoCMin 5 %, SoC 67.5 %, SoH 98 %
      0x0000, 0x0173,                           // NCyc = 371
      3, 0, 17, 0, 0, 4, 3, U16,                // ChaSt DISCHARGING, REMOTE, Hb, …, Typ LITHIUM_ION, State CONNECTED
      U16, U16,                                 // WarrDt not implemented
      0x0000, 0x0004, 0, 0, U16, U16, U16, U16, // Evt1 OVER_TEMP_WARNING, Evt2 none, vendor not implemented
      5123, U16, U16,                           // V = 51.23 V
      3412, 3, 1, 3398, 7, 2, 3405,             // cell voltages, V
      0xff9c, U16, U16,                         // A = -10.0 A
      0xf830, 0, S16, 1, 3,                     // W = -2000 W (charging), ReqInvState NO REQUEST, SetOp CONNECT
      0, 1, 1, U16, 0xffff, S16, 0, 0xfffe, 0xfffd, 0xffff, S16, 0,
      // AHRtg_SF WHRtg_SF WChaDisChaMax_SF DisChaRte_SF SoC_SF DoD_SF SoH_SF V_SF CellV_SF A_SF AMax_SF W_SF
    ];
    expect(regs).toHaveLength(64);
    expect(pointOffsets(def(802))).toMatchObject({ SoC: 11, W: 47, SetOp: 50 });
    const m = decodeModel(def(802), regs);
    expect(m.points.AHRtg!.value).toBe(280);
    expect(m.points.WHRtg!.value).toBe(14_400);
    expect(m.points.WChaRteMax!.value).toBe(5_000);
    expect(m.points.SoCMax!.value).toBe(95);
    expect(m.points.SoC).toMatchObject({ value: 67.5, units: '%WHRtg' });
    expect(m.points.DoD!.implemented).toBe(false);
    expect(m.points.SoH!.value).toBe(98);
    expect(m.points.NCyc!.value).toBe(371);
    expect(m.points.ChaSt!.value).toBe('DISCHARGING');
    expect(m.points.LocRemCtl!.value).toBe('REMOTE');
    expect(m.points.Typ!.value).toBe('LITHIUM_ION');
    expect(m.points.State!.value).toBe('CONNECTED');
    expect(m.points.Evt1!.value).toEqual(['OVER_TEMP_WARNING']);
    expect(m.points.Evt2!.value).toEqual([]);
    expect(m.points.EvtVnd1!.implemented).toBe(false);
    expect(m.points.V!.value).toBe(51.23);
    expect(m.points.CellVMax!.value).toBe(3.412);
    expect(m.points.A!.value).toBe(-10);
    expect(m.points.W!.value).toBe(-2000);
    expect(m.points.ReqInvState!.value).toBe('NO REQUEST');
    expect(m.points.ReqW!.implemented).toBe(false);
    expect(m.points.SetOp!.value).toBe('CONNECT');
    expect(m.points.SetInvState!.value).toBe('INVERTER_STARTED');
  });
});

describe('addressing and the whole image', () => {
  it('gives the offset of every top-level point from the ID register', () => {
    const offsets = pointOffsets(def(124));
    expect(offsets.ID).toBe(0);
    expect(offsets.L).toBe(1);
    expect(offsets.WChaMax).toBe(2);
    expect(offsets.InWRte).toBe(13);
    expect(pointAt(def(124), 'InWRte')).toMatchObject({
      offset: 13,
      point: { type: 'int16', sf: 'InOutWRte_SF' },
    });
    expect(() => pointAt(def(124), 'Nope')).toThrow(/model 124.*Nope/);
  });

  it('encodes a write to one point with the scale factor read from the device', () => {
    const { offset, point } = pointAt(def(124), 'InWRte');
    const regs = encodeModel(def(124), { InWRte: 10, InOutWRte_SF: -2 });
    const written = encodePointValue(point, -37.5, -2);
    regs.set(written, offset);
    expect(decodeModel(def(124), regs).points.InWRte!.value).toBe(-37.5);
  });

  it('lays out SunS, each model and the end marker', () => {
    const image = buildSunSpecImage([
      { def: def(1), values: { Mn: 'Commonwatt', Md: 'sim', SN: '1' } },
      { def: def(213), values: { W: 1500.5, Hz: 50 } },
      { def: def(802), values: { SoC: 50 } },
    ]);
    expect([...image.subarray(0, 2)]).toEqual([0x5375, 0x6e53]);
    let at = 2;
    for (const id of [1, 213, 802]) {
      expect(image[at]).toBe(id);
      const length = image[at + 1]!;
      const decoded = decodeModel(def(id), image.subarray(at, at + 2 + length));
      if (id === 213) expect(decoded.points.W!.value).toBe(1500.5);
      if (id === 802) expect(decoded.points.SoC!.value).toBe(50);
      at += 2 + length;
    }
    expect([...image.subarray(at)]).toEqual([0xffff, 0x0000]);
  });

  it('rejects registers of another model or shorter than L says', () => {
    const regs = encodeModel(def(203), {});
    expect(() => decodeModel(def(204), regs)).toThrow(/model 204.*start with model id 203/);
    expect(() => decodeModel(def(203), regs.subarray(0, 50))).toThrow(/model 203.*50 registers given, L=105/);
  });
});
