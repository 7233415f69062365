// The battery modes in one table: each mode's register value in vendor model 64901 as its
// definition documents it (0 SELF_CONSUMPTION, 1 SETPOINT, 2 GRID_FORMING, 3 STANDBY), read,
// written and simulated through the same table.
import { describe, expect, it } from 'vitest';
import {
  batteryModeOfSymbol,
  batteryModeOfValue,
  batteryModes,
  STORAGE_MODES,
  storageModeSymbol,
  storageModeValue,
} from '../../../../shared/api/battery-modes.ts';
import { MODEL_64901 } from '../../../../electron/field/vendor-models.ts';

describe('battery modes', () => {
  it('have the register values model 64901 documents', () => {
    expect(batteryModes.map((m) => [m, storageModeSymbol(m), storageModeValue(m)])).toEqual([
      ['self-consumption', 'SELF_CONSUMPTION', 0],
      ['setpoint', 'SETPOINT', 1],
      ['grid-forming', 'GRID_FORMING', 2],
      ['standby', 'STANDBY', 3],
    ]);
    expect(STORAGE_MODES).toEqual({ SELF_CONSUMPTION: 0, SETPOINT: 1, GRID_FORMING: 2, STANDBY: 3 });
  });

  it('are what the model definition enumerates, for Mod and ModSt alike', () => {
    for (const name of ['Mod', 'ModSt']) {
      const point = MODEL_64901.group.points.find((p) => p.name === name);
      expect(point?.symbols).toEqual(STORAGE_MODES);
    }
  });

  it('decode a register value or symbol, and nothing the model does not define', () => {
    expect(batteryModeOfValue(2)).toBe('grid-forming');
    expect(batteryModeOfValue(0)).toBe('self-consumption');
    expect(batteryModeOfValue(4)).toBeNull();
    expect(batteryModeOfValue(-1)).toBeNull();
    expect(batteryModeOfValue(null)).toBeNull();
    expect(batteryModeOfSymbol('STANDBY')).toBe('standby');
    expect(batteryModeOfSymbol('standby')).toBeNull();
  });
});
