// Every SunSpec model definition the console decodes: SunSpec's own and our vendor models.
import { SUNSPEC_MODELS } from './sunspec/models/index.ts';
import type { ModelDef } from './sunspec/types.ts';
import { VENDOR_MODELS } from './vendor-models.ts';

export const KNOWN_MODELS: ReadonlyMap<number, ModelDef> = new Map([
  ...SUNSPEC_MODELS,
  ...VENDOR_MODELS.map((def) => [def.id, def] as const),
]);
