// AC meter models 201-204 (integer with scale factors) and 211-214 (float32). All eight share one
// layout; they differ in wiring (which points are mandatory) and in a few published spellings,
// so they are generated from one description.
import type { ModelDef, PointDef } from '../types.ts';
import { model, p } from './notation.ts';

const PHASES = ['A', 'B', 'C'] as const;

interface Measurement {
  name: string;
  units: string;
}

/** Measurements that share one scale factor, which follows them in the integer models. */
interface Block {
  sf: string;
  sfMandatory: boolean;
  /** acc32 energy registers rather than int16 instantaneous ones. */
  energy: boolean;
  points: Measurement[];
}

interface Spelling {
  /** Line-to-line voltages: "PPVph" in 201 and the float models, "PhVph" in 202-204. */
  lineToLine: 'PPVph' | 'PhVph';
  /** Per-phase suffix of the reactive energies: "PhA" in the integer models, "phA" in the float ones. */
  varhPhase: 'Ph' | 'ph';
  /** Units of the power factor points. */
  pfUnits: 'Pct' | 'PF';
  /** Event symbols: 201 lists bare names without the reserved bits, the others an M_EVENT_ prefix. */
  events: 'bare' | 'prefixed';
}

const each = (prefix: string, units: string, phase = 'ph'): Measurement[] => [
  { name: prefix, units },
  ...PHASES.map((x) => ({ name: `${prefix}${phase}${x}`, units })),
];

function blocks(s: Spelling): Block[] {
  const quadrant = (name: string): Measurement[] => each(name, 'varh', s.varhPhase);
  return [
    { sf: 'A_SF', sfMandatory: true, energy: false, points: each('A', 'A') },
    {
      sf: 'V_SF',
      sfMandatory: true,
      energy: false,
      points: [
        ...each('PhV', 'V'),
        { name: 'PPV', units: 'V' },
        ...['AB', 'BC', 'CA'].map((pair) => ({ name: `${s.lineToLine}${pair}`, units: 'V' })),
      ],
    },
    { sf: 'Hz_SF', sfMandatory: false, energy: false, points: [{ name: 'Hz', units: 'Hz' }] },
    { sf: 'W_SF', sfMandatory: true, energy: false, points: each('W', 'W') },
    { sf: 'VA_SF', sfMandatory: false, energy: false, points: each('VA', 'VA') },
    { sf: 'VAR_SF', sfMandatory: false, energy: false, points: each('VAR', 'var') },
    { sf: 'PF_SF', sfMandatory: false, energy: false, points: each('PF', s.pfUnits) },
    {
      sf: 'TotWh_SF',
      sfMandatory: true,
      energy: true,
      points: [...each('TotWhExp', 'Wh', 'Ph'), ...each('TotWhImp', 'Wh', 'Ph')],
    },
    {
      sf: 'TotVAh_SF',
      sfMandatory: false,
      energy: true,
      points: [...each('TotVAhExp', 'VAh', 'Ph'), ...each('TotVAhImp', 'VAh', 'Ph')],
    },
    {
      sf: 'TotVArh_SF',
      sfMandatory: false,
      energy: true,
      points: [
        ...quadrant('TotVArhImpQ1'),
        ...quadrant('TotVArhImpQ2'),
        ...quadrant('TotVArhExpQ3'),
        ...quadrant('TotVArhExpQ4'),
      ],
    },
  ];
}

function eventSymbols(style: Spelling['events']): Record<string, number> {
  const named = [
    'Power_Failure',
    'Under_Voltage',
    'Low_PF',
    'Over_Current',
    'Over_Voltage',
    'Missing_Sensor',
  ];
  const symbols: Array<[string, number]> = named.map((name, i) => [name, i + 2]);
  if (style === 'prefixed') for (let i = 1; i <= 8; i++) symbols.push([`Reserved${i}`, i + 7]);
  for (let i = 1; i <= 15; i++) symbols.push([`OEM${String(i).padStart(2, '0')}`, i + 15]);
  const prefix = style === 'prefixed' ? 'M_EVENT_' : '';
  return Object.fromEntries(symbols.map(([name, bit]) => [prefix + name, bit]));
}

/** Mandatory in every meter model, whatever its wiring. */
const ALWAYS_MANDATORY = ['A', 'Hz', 'W', 'TotWhExp', 'TotWhImp'];

function meter(
  id: number,
  name: string,
  label: string,
  float: boolean,
  spelling: Spelling,
  wiringMandatory: string[],
): ModelDef {
  const mandatory = new Set([...ALWAYS_MANDATORY, ...wiringMandatory]);
  const points: PointDef[] = [];
  for (const block of blocks(spelling)) {
    for (const x of block.points) {
      const flags = mandatory.has(x.name) ? 'M' : '';
      if (float) points.push(p(x.name, 'float32', null, x.units, flags));
      else points.push(p(x.name, block.energy ? 'acc32' : 'int16', block.sf, x.units, flags));
    }
    if (!float) points.push(p(block.sf, 'sunssf', null, null, block.sfMandatory ? 'M' : ''));
  }
  points.push(p('Evt', 'bitfield32', null, null, 'M', eventSymbols(spelling.events)));
  return model(id, name, label, points);
}

const INTEGER: Spelling = { lineToLine: 'PhVph', varhPhase: 'Ph', pfUnits: 'Pct', events: 'prefixed' };
const FLOAT: Spelling = { lineToLine: 'PPVph', varhPhase: 'ph', pfUnits: 'PF', events: 'prefixed' };

const WYE = ['AphA', 'AphB', 'AphC', 'PhV', 'PhVphA', 'PhVphB', 'PhVphC', 'PPV'];

export const MODEL_201 = meter(
  201,
  'ac_meter_an_or_ab',
  'Meter (Single Phase) single phase (AN or AB) meter',
  false,
  { ...INTEGER, lineToLine: 'PPVph', events: 'bare' },
  ['AphA'],
);
// The published 202 makes AphB and AphC mandatory rather than AphA and AphB (as 212 does).
export const MODEL_202 = meter(202, 'ac_meter_abn', 'split single phase (ABN) meter', false, INTEGER, [
  'AphB',
  'AphC',
  'PhV',
  'PhVphA',
  'PhVphB',
  'PPV',
  'PhVphAB',
]);
export const MODEL_203 = meter(203, 'ac_meter_abcn', 'wye-connect three phase (abcn) meter', false, INTEGER, [
  ...WYE,
  'PhVphAB',
  'PhVphBC',
  'PhVphCA',
]);
export const MODEL_204 = meter(204, 'ac_meter_abc', 'delta-connect three phase (abc) meter', false, INTEGER, [
  'AphA',
  'AphB',
  'AphC',
  'PPV',
  'PhVphAB',
  'PhVphBC',
  'PhVphCA',
]);

export const MODEL_211 = meter(211, 'ac_meter_an_or_ab_float', 'single phase (AN or AB) meter', true, FLOAT, [
  'AphA',
]);
export const MODEL_212 = meter(212, 'ac_meter_abn_float', 'split single phase (ABN) meter', true, FLOAT, [
  'AphA',
  'AphB',
  'PhV',
  'PhVphA',
  'PhVphB',
  'PPV',
  'PPVphAB',
]);
export const MODEL_213 = meter(
  213,
  'ac_meter_abcn_float',
  'wye-connect three phase (abcn) meter',
  true,
  FLOAT,
  [...WYE, 'PPVphAB', 'PPVphBC', 'PPVphCA'],
);
export const MODEL_214 = meter(
  214,
  'ac_meter_abc_float',
  'delta-connect three phase (abc) meter',
  true,
  FLOAT,
  ['AphA', 'AphB', 'AphC', 'PPV', 'PPVphAB', 'PPVphBC', 'PPVphCA'],
);
