// Maps decoded device points to the console's canonical quantities (powerKW, energyImportKWh,
// ...), so everything past the field layer is independent of register maps. Sign convention:
// meters read positive when importing (energy delivered towards the load), inverters and
// batteries positive when injecting into the network.
import type { Quantity } from '../../shared/api/live.ts';

export interface QuantityValue {
  quantity: Quantity;
  value: number | null;
  implemented: boolean;
  /** The device answered, but not for this point (e.g. an exception for its register block). */
  bad?: boolean;
}

type PointLookup = (name: string) => { value: unknown; implemented: boolean } | undefined;

const fromW = (v: number) => v / 1000;

const meterRules: Array<[Quantity, string[], (v: number) => number]> = [
  ['powerKW', ['W'], fromW],
  ['energyImportKWh', ['TotWhImp'], fromW],
  ['energyExportKWh', ['TotWhExp'], fromW],
  ['voltageV', ['PhV', 'PhVphA', 'PPV'], (v) => v],
  ['frequencyHz', ['Hz'], (v) => v],
  ['currentA', ['A'], (v) => v],
];

const inverterRules: Array<[Quantity, string[], (v: number) => number]> = [
  ['powerKW', ['W'], fromW],
  ['energyExportKWh', ['WH'], fromW],
  ['voltageV', ['PhVphA', 'PhV', 'PPVphAB'], (v) => v],
  ['frequencyHz', ['Hz'], (v) => v],
  ['currentA', ['A'], (v) => v],
];

const rulesByModel = new Map<number, Array<[Quantity, string[], (v: number) => number]>>();
for (const id of [201, 202, 203, 204, 211, 212, 213, 214]) rulesByModel.set(id, meterRules);
for (const id of [101, 102, 103, 111, 112, 113]) rulesByModel.set(id, inverterRules);
rulesByModel.set(802, [['socFraction', ['SoC'], (v) => v / 100]]);
rulesByModel.set(124, [['batteryChargeLimitKW', ['WChaMax'], fromW]]);

/**
 * Enumerated points read as a 0/1 quantity: 1 when the point shows one of the symbols. A state
 * value the definition does not name counts as 0: only a state the device calls a fault is one.
 */
const flagRules = new Map<number, Array<[Quantity, string, ReadonlySet<string>]>>([
  // Model 802's State: FAULT means the battery is out of service until its fault is reset.
  [802, [['batteryFault', 'State', new Set(['FAULT'])]]],
]);

/** The quantities one decoded SunSpec model provides. */
export function quantitiesFromModel(modelId: number, point: PointLookup): QuantityValue[] {
  const out: QuantityValue[] = [];
  for (const [quantity, names, convert] of rulesByModel.get(modelId) ?? []) {
    let found: QuantityValue | undefined;
    for (const name of names) {
      const p = point(name);
      if (!p) continue;
      if (p.implemented && typeof p.value === 'number') {
        found = { quantity, value: convert(p.value), implemented: true };
        break;
      }
      found ??= { quantity, value: null, implemented: false };
    }
    if (found) out.push(found);
  }
  for (const [quantity, name, symbols] of flagRules.get(modelId) ?? []) {
    const p = point(name);
    if (!p) continue;
    out.push(
      p.implemented
        ? { quantity, value: typeof p.value === 'string' && symbols.has(p.value) ? 1 : 0, implemented: true }
        : { quantity, value: null, implemented: false },
    );
  }
  return out;
}
