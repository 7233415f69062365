// Geometry of the supply and demand chart, apart from React so it can be tested: the axes'
// domains (the curves, the clearing price and the grid's price band), round tick values, and
// the step curves as SVG paths.
import type { CurveStep, MarketPreview } from '../../../../shared/api/market-api.ts';

export interface ChartBox {
  width: number;
  height: number;
  left: number;
  right: number;
  top: number;
  bottom: number;
}

export interface ChartScale {
  maxKWh: number;
  minPrice: number;
  maxPrice: number;
  x(kwh: number): number;
  y(price: number): number;
}

export function chartScale(preview: MarketPreview, box: ChartBox): ChartScale {
  const total = (steps: CurveStep[]) => steps.at(-1)?.toKWh ?? 0;
  const maxKWh = niceCeil(Math.max(total(preview.supply), total(preview.demand), 0.001) * 1.05);
  const prices = [
    ...preview.supply.map((s) => s.pricePerKWh),
    ...preview.demand.map((s) => s.pricePerKWh),
    ...preview.trades.map((t) => t.price),
    ...preview.zones.map((z) => z.price),
    preview.tariff.importPrice,
    preview.tariff.exportPrice,
  ];
  let low = Math.min(...prices);
  let high = Math.max(...prices);
  if (high - low < 1e-6) {
    low -= 0.05;
    high += 0.05;
  }
  const pad = (high - low) * 0.08;
  const minPrice = low >= 0 && low - pad < 0 ? 0 : low - pad;
  const maxPrice = high + pad;
  const plotWidth = box.width - box.left - box.right;
  const plotHeight = box.height - box.top - box.bottom;
  return {
    maxKWh,
    minPrice,
    maxPrice,
    x: (kwh) => box.left + (kwh / maxKWh) * plotWidth,
    y: (price) => box.top + (1 - (price - minPrice) / (maxPrice - minPrice)) * plotHeight,
  };
}

/**
 * A step curve through the orders: each order a flat step at its price as wide as its energy,
 * joined by vertical rises (supply) or falls (demand).
 */
export function stepPath(steps: readonly CurveStep[], scale: ChartScale): string {
  if (steps.length === 0) return '';
  const parts: string[] = [];
  steps.forEach((step, i) => {
    const y = round(scale.y(step.pricePerKWh));
    parts.push(i === 0 ? `M${round(scale.x(step.fromKWh))},${y}` : `V${y}`);
    parts.push(`H${round(scale.x(step.toKWh))}`);
  });
  return parts.join('');
}

/** Round tick values (1, 2 or 5 × a power of ten apart) covering [min, max]. */
export function niceTicks(min: number, max: number, count = 5): number[] {
  if (!(max > min)) return [min];
  const step = niceStep((max - min) / Math.max(1, count));
  const ticks: number[] = [];
  for (let v = Math.ceil(min / step - 1e-9) * step; v <= max + step * 1e-9; v += step)
    ticks.push(Number(v.toFixed(10)));
  return ticks;
}

function niceStep(raw: number): number {
  const power = 10 ** Math.floor(Math.log10(raw));
  const fraction = raw / power;
  return (fraction <= 1 ? 1 : fraction <= 2 ? 2 : fraction <= 5 ? 5 : 10) * power;
}

function niceCeil(value: number): number {
  const step = niceStep(value / 5);
  return Math.ceil(value / step) * step;
}

function round(v: number): number {
  return Math.round(v * 10) / 10;
}

/** Decimals that tell tick values `step` apart. */
export function tickDecimals(ticks: readonly number[]): number {
  if (ticks.length < 2) return 2;
  const step = Math.abs(ticks[1]! - ticks[0]!);
  return Math.max(0, Math.min(4, -Math.floor(Math.log10(step) + 1e-9)));
}
