// The grid as the market's fallback: energy no local trade takes is imported or exported at the
// time-of-use tariff; with no grid (islanded or off-grid) it is unserved or curtailed instead.
import type { GridTariff } from './clear-input.ts';

export interface GridExchange {
  available: boolean;
  importKWh: number;
  exportKWh: number;
  /** What members pay the supplier for imported energy (currency). */
  importCost: number;
  /** What members are paid for exported energy (currency). */
  exportRevenue: number;
  /** Demand left unmet when there is no grid (kWh). */
  unservedKWh: number;
  /** Surplus left unsold when there is no grid (kWh). */
  curtailedKWh: number;
}

/** One period of a time-of-use tariff, in the site's local hours; wraps past midnight if from > to. */
export interface TariffPeriod {
  fromHour: number;
  toHour: number;
  importPricePerKWh: number;
  exportPricePerKWh: number;
  /** Days the period applies to; every day when absent. */
  days?: 'weekdays' | 'weekends';
}

export interface TimeOfUseTariff {
  /** Offset of the site's local time from UTC (minutes), e.g. 120 for CEST. */
  utcOffsetMinutes: number;
  /** Checked in order; the first that covers the hour applies. */
  periods: TariffPeriod[];
}

/** The grid prices in force at the start of an interval. */
export function tariffAt(tariff: TimeOfUseTariff, startIso: string): GridTariff {
  const local = new Date(Date.parse(startIso) + tariff.utcOffsetMinutes * 60_000);
  const hour = local.getUTCHours() + local.getUTCMinutes() / 60;
  const weekend = local.getUTCDay() === 0 || local.getUTCDay() === 6;
  for (const period of tariff.periods) {
    if (period.days === 'weekdays' && weekend) continue;
    if (period.days === 'weekends' && !weekend) continue;
    const inside =
      period.fromHour <= period.toHour
        ? hour >= period.fromHour && hour < period.toHour
        : hour >= period.fromHour || hour < period.toHour;
    if (inside) return { importPrice: period.importPricePerKWh, exportPrice: period.exportPricePerKWh };
  }
  throw new Error(`time-of-use tariff: no period covers local hour ${hour.toFixed(2)} of ${startIso}`);
}

export interface OrderFallback {
  /** Grid energy of each order: imported for a buy, exported for a sell (kWh). */
  gridKWh: Float64Array;
  /** Energy of each order neither traded nor taken by the grid (kWh). */
  strandedKWh: Float64Array;
}

export function gridFallback(
  isSell: Uint8Array,
  residualKWh: Float64Array,
  grid: GridTariff | undefined,
): { exchange: GridExchange; perOrder: OrderFallback } {
  const exchange: GridExchange = {
    available: grid !== undefined,
    importKWh: 0,
    exportKWh: 0,
    importCost: 0,
    exportRevenue: 0,
    unservedKWh: 0,
    curtailedKWh: 0,
  };
  const gridKWh = new Float64Array(residualKWh.length);
  const strandedKWh = new Float64Array(residualKWh.length);
  for (let i = 0; i < residualKWh.length; i++) {
    const kwh = residualKWh[i]!;
    if (kwh <= 0) continue;
    if (!grid) {
      strandedKWh[i] = kwh;
      if (isSell[i]) exchange.curtailedKWh += kwh;
      else exchange.unservedKWh += kwh;
      continue;
    }
    gridKWh[i] = kwh;
    if (isSell[i]) {
      exchange.exportKWh += kwh;
      exchange.exportRevenue += kwh * grid.exportPrice;
    } else {
      exchange.importKWh += kwh;
      exchange.importCost += kwh * grid.importPrice;
    }
  }
  return { exchange, perOrder: { gridKWh, strandedKWh } };
}
