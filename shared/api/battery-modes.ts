// The battery pool inverters' operating modes, in one table: the names the API, the controller and
// the operator use, and each mode's symbol and value in the storage mode registers (Mod, ModSt) of
// vendor SunSpec model 64901 (electron/field/vendor-models.ts). Reading a mode, writing one and
// simulating one all go through this table, so the three can never disagree.

export const batteryModes = ['self-consumption', 'setpoint', 'grid-forming', 'standby'] as const;
export type BatteryMode = (typeof batteryModes)[number];

/** Each mode's register symbol and value; the values are the model's enum16 and never change. */
const registerOf = {
  'self-consumption': { symbol: 'SELF_CONSUMPTION', value: 0 },
  setpoint: { symbol: 'SETPOINT', value: 1 },
  'grid-forming': { symbol: 'GRID_FORMING', value: 2 },
  standby: { symbol: 'STANDBY', value: 3 },
} as const satisfies Record<BatteryMode, { symbol: string; value: number }>;

export type StorageModeSymbol = (typeof registerOf)[BatteryMode]['symbol'];

/** The model's enumeration, symbol → register value, as the SunSpec model definition states it. */
export const STORAGE_MODES = Object.fromEntries(
  batteryModes.map((mode) => [registerOf[mode].symbol, registerOf[mode].value]),
) as { readonly [S in StorageModeSymbol]: number };

export function storageModeSymbol(mode: BatteryMode): StorageModeSymbol {
  return registerOf[mode].symbol;
}

export function storageModeValue(mode: BatteryMode): number {
  return registerOf[mode].value;
}

/** The mode a register value stands for; null for a value the model does not define (or none). */
export function batteryModeOfValue(value: number | null): BatteryMode | null {
  if (value === null) return null;
  return batteryModes.find((mode) => registerOf[mode].value === value) ?? null;
}

/** The mode a register symbol stands for; null for a symbol the model does not define. */
export function batteryModeOfSymbol(symbol: string): BatteryMode | null {
  return batteryModes.find((mode) => registerOf[mode].symbol === symbol) ?? null;
}
