// Every SunSpec model this project knows, by model id.
import type { ModelDef } from '../types.ts';
import { MODEL_802 } from './battery.ts';
import { MODEL_1 } from './common.ts';
import { MODEL_701, MODEL_702, MODEL_704 } from './der.ts';
import { MODEL_101, MODEL_102, MODEL_103, MODEL_111, MODEL_112, MODEL_113 } from './inverter.ts';
import {
  MODEL_201,
  MODEL_202,
  MODEL_203,
  MODEL_204,
  MODEL_211,
  MODEL_212,
  MODEL_213,
  MODEL_214,
} from './meter.ts';
import { MODEL_120, MODEL_121, MODEL_122, MODEL_123, MODEL_124 } from './nameplate-settings.ts';

const ALL: readonly ModelDef[] = [
  MODEL_1,
  MODEL_101,
  MODEL_102,
  MODEL_103,
  MODEL_111,
  MODEL_112,
  MODEL_113,
  MODEL_120,
  MODEL_121,
  MODEL_122,
  MODEL_123,
  MODEL_124,
  MODEL_201,
  MODEL_202,
  MODEL_203,
  MODEL_204,
  MODEL_211,
  MODEL_212,
  MODEL_213,
  MODEL_214,
  MODEL_701,
  MODEL_702,
  MODEL_704,
  MODEL_802,
];

export const SUNSPEC_MODELS: ReadonlyMap<number, ModelDef> = new Map(ALL.map((def) => [def.id, def]));
