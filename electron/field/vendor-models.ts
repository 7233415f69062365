// Vendor SunSpec models this project defines. SunSpec reserves model ids 64000–65535 for vendor
// extensions and has no standard way to put a storage inverter into grid-forming operation, so
// the simulated battery inverter (and any real inverter mapped to it) carries this model in its
// SunSpec chain, discovered like any other model:
//
//   model 64901 "commonwatt_storage_mode", L = 2
//     offset 2  Mod     enum16 RW  0 SELF_CONSUMPTION, 1 SETPOINT, 2 GRID_FORMING, 3 STANDBY
//     offset 3  ModSt   enum16 R   the mode the inverter is actually running (same symbols)
//
// In SETPOINT the inverter follows model 124: +OutWRte % of WChaMax when StorCtl_Mod has the
// DiSCHARGE bit, −InWRte % of WChaMax when it has the CHARGE bit, 0 with neither.
import { STORAGE_MODES, type StorageModeSymbol } from '../../shared/api/battery-modes.ts';
import { model, p } from './sunspec/models/notation.ts';
import type { ModelDef } from './sunspec/types.ts';

export const STORAGE_MODE_MODEL_ID = 64901;

// The symbols and values are the battery-mode vocabulary's (shared/api/battery-modes.ts).
export { STORAGE_MODES, type StorageModeSymbol };

export const MODEL_64901: ModelDef = model(
  STORAGE_MODE_MODEL_ID,
  'commonwatt_storage_mode',
  'Commonwatt storage operating mode',
  [
    p('Mod', 'enum16', null, null, 'M RW', STORAGE_MODES),
    p('ModSt', 'enum16', null, null, 'M', STORAGE_MODES),
  ],
);

export const VENDOR_MODELS: readonly ModelDef[] = [MODEL_64901];
