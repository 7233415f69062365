// Inverter models 101-103 (integer with scale factors) and 111-113 (float32). The six share one
// layout and differ only in which phases are mandatory, so they are generated from one table.
import type { ModelDef, PointDef, PointType } from '../types.ts';
import { model, p } from './notation.ts';

type Phases = 1 | 2 | 3;

interface Measurement {
  name: string;
  /** The type in the integer models; the float models use float32 throughout. */
  type: Exclude<PointType, 'string'>;
  units: string;
  /** Mandatory from this many phases up; absent means optional. */
  mandatoryFrom?: Phases;
}

/** Measurements that share one scale factor, which follows them in the integer models. */
interface Block {
  sf: string;
  sfMandatory: boolean;
  points: Measurement[];
}

const m = (name: string, type: Measurement['type'], units: string, mandatoryFrom?: Phases): Measurement =>
  mandatoryFrom === undefined ? { name, type, units } : { name, type, units, mandatoryFrom };

const BLOCKS: Block[] = [
  {
    sf: 'A_SF',
    sfMandatory: true,
    points: [
      m('A', 'uint16', 'A', 1),
      m('AphA', 'uint16', 'A', 1),
      m('AphB', 'uint16', 'A', 2),
      m('AphC', 'uint16', 'A', 3),
    ],
  },
  {
    sf: 'V_SF',
    sfMandatory: true,
    points: [
      m('PPVphAB', 'uint16', 'V'),
      m('PPVphBC', 'uint16', 'V'),
      m('PPVphCA', 'uint16', 'V'),
      m('PhVphA', 'uint16', 'V', 1),
      m('PhVphB', 'uint16', 'V', 2),
      m('PhVphC', 'uint16', 'V', 3),
    ],
  },
  { sf: 'W_SF', sfMandatory: true, points: [m('W', 'int16', 'W', 1)] },
  { sf: 'Hz_SF', sfMandatory: true, points: [m('Hz', 'uint16', 'Hz', 1)] },
  { sf: 'VA_SF', sfMandatory: false, points: [m('VA', 'int16', 'VA')] },
  { sf: 'VAr_SF', sfMandatory: false, points: [m('VAr', 'int16', 'var')] },
  { sf: 'PF_SF', sfMandatory: false, points: [m('PF', 'int16', 'Pct')] },
  { sf: 'WH_SF', sfMandatory: true, points: [m('WH', 'acc32', 'Wh', 1)] },
  { sf: 'DCA_SF', sfMandatory: false, points: [m('DCA', 'uint16', 'A')] },
  { sf: 'DCV_SF', sfMandatory: false, points: [m('DCV', 'uint16', 'V')] },
  { sf: 'DCW_SF', sfMandatory: false, points: [m('DCW', 'int16', 'W')] },
  {
    sf: 'Tmp_SF',
    sfMandatory: true,
    points: [
      m('TmpCab', 'int16', 'C', 1),
      m('TmpSnk', 'int16', 'C'),
      m('TmpTrns', 'int16', 'C'),
      m('TmpOt', 'int16', 'C'),
    ],
  },
];

const OPERATING_STATES = [
  'OFF',
  'SLEEPING',
  'STARTING',
  'MPPT',
  'THROTTLED',
  'SHUTTING_DOWN',
  'FAULT',
  'STANDBY',
];

const EVENTS_1 = {
  GROUND_FAULT: 0,
  DC_OVER_VOLT: 1,
  AC_DISCONNECT: 2,
  DC_DISCONNECT: 3,
  GRID_DISCONNECT: 4,
  CABINET_OPEN: 5,
  MANUAL_SHUTDOWN: 6,
  OVER_TEMP: 7,
  OVER_FREQUENCY: 8,
  UNDER_FREQUENCY: 9,
  AC_OVER_VOLT: 10,
  AC_UNDER_VOLT: 11,
  BLOWN_STRING_FUSE: 12,
  UNDER_TEMP: 13,
  MEMORY_LOSS: 14,
  HW_TEST_FAILURE: 15,
};

function inverter(
  id: number,
  name: string,
  label: string,
  phases: Phases,
  float: boolean,
  statePrefix = '',
): ModelDef {
  const points: PointDef[] = [];
  for (const block of BLOCKS) {
    for (const x of block.points) {
      const flags = x.mandatoryFrom !== undefined && phases >= x.mandatoryFrom ? 'M' : '';
      points.push(
        float ? p(x.name, 'float32', null, x.units, flags) : p(x.name, x.type, block.sf, x.units, flags),
      );
    }
    if (!float) points.push(p(block.sf, 'sunssf', null, null, block.sfMandatory ? 'M' : ''));
  }
  const states = Object.fromEntries(OPERATING_STATES.map((s, i) => [statePrefix + s, i + 1]));
  points.push(
    p('St', 'enum16', null, null, 'M', states),
    p('StVnd', 'enum16'),
    p('Evt1', 'bitfield32', null, null, 'M', EVENTS_1),
    p('Evt2', 'bitfield32', null, null, 'M'),
    p('EvtVnd1', 'bitfield32'),
    p('EvtVnd2', 'bitfield32'),
    p('EvtVnd3', 'bitfield32'),
    p('EvtVnd4', 'bitfield32'),
  );
  return model(id, name, label, points);
}

export const MODEL_101 = inverter(101, 'inverter_single_phase', 'Inverter (Single Phase)', 1, false);
export const MODEL_102 = inverter(102, 'inverter_split_phase', 'Inverter (Split-Phase)', 2, false);
export const MODEL_103 = inverter(103, 'inverter_three_phase', 'Inverter (Three Phase)', 3, false);
// The published model 111 really does prefix its operating states with "gg".
export const MODEL_111 = inverter(
  111,
  'inverter_single_phase_float',
  'Inverter (Single Phase) FLOAT',
  1,
  true,
  'gg',
);
export const MODEL_112 = inverter(112, 'inverter_split_phase_float', 'Inverter (Split Phase) FLOAT', 2, true);
export const MODEL_113 = inverter(113, 'inverter_three_phase_float', 'Inverter (Three Phase) FLOAT', 3, true);
