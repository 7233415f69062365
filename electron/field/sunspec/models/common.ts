// Model 1, the common block every SunSpec device starts with.
import type { ModelDef } from '../types.ts';
import { model, p, str } from './notation.ts';

export const MODEL_1: ModelDef = model(1, 'common', 'Common', [
  str('Mn', 16, 'M'),
  str('Md', 16, 'M'),
  str('Opt', 8),
  str('Vr', 8),
  str('SN', 16, 'M'),
  p('DA', 'uint16', null, null, 'RW'),
  p('Pad', 'pad'),
]);
