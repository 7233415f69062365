// The grid as the market's fallback: energy no local trade takes is imported or exported at the
// time-of-use tariff; with no grid (islanded or off-grid) it is unserved or curtailed instead.
import { localMinuteOfDay } from '../time/zone.ts';
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

/** One period of a time-of-use tariff in the site's local time, as the site file gives it. */
export interface TariffPeriod {
  /** HH:MM; a period whose `to` is not after its `from` runs past midnight. */
  from: string;
  to: string;
  importPricePerKWh: number;
  exportPricePerKWh: number;
}

export interface TimeOfUseTariff {
  periods: readonly TariffPeriod[];
}

/** The grid prices in force at the start of an interval, in the site's timezone. */
export function tariffAt(tariff: TimeOfUseTariff, startMs: number, timeZone: string): GridTariff {
  const minute = localMinuteOfDay(startMs, timeZone);
  for (const period of tariff.periods) {
    const from = minuteOfDay(period.from);
    const to = minuteOfDay(period.to);
    const inside = from < to ? minute >= from && minute < to : minute >= from || minute < to;
    if (inside) return { importPrice: period.importPricePerKWh, exportPrice: period.exportPricePerKWh };
  }
  throw new Error(
    `tariff: no period covers local time ${clock(minute)} in ${timeZone}; periods must cover the day`,
  );
}

function minuteOfDay(hhmm: string): number {
  const [hours, minutes] = hhmm.split(':').map(Number);
  return (hours ?? 0) * 60 + (minutes ?? 0);
}

function clock(minute: number): string {
  return `${String(Math.floor(minute / 60)).padStart(2, '0')}:${String(minute % 60).padStart(2, '0')}`;
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
