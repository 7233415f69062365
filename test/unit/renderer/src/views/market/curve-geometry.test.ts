// The supply and demand chart's geometry: the axes cover every price drawn, ticks are round and
// cover the range, and the step curves pass through each order's price over its energy.
import { describe, expect, it } from 'vitest';
import type { CurveStep, MarketPreview } from '../../../../../../shared/api/market-api.ts';
import {
  chartScale,
  niceTicks,
  stepPath,
  tickDecimals,
  type ChartBox,
} from '../../../../../../renderer/src/views/market/curve-geometry.ts';

const box: ChartBox = { width: 600, height: 300, left: 50, right: 50, top: 10, bottom: 40 };

function steps(orders: Array<[string, number, number]>): CurveStep[] {
  let at = 0;
  return orders.map(([member, energyKWh, pricePerKWh]) => {
    const step = {
      member,
      bus: null,
      energyKWh,
      fromKWh: at,
      toKWh: at + energyKWh,
      pricePerKWh,
      tradedKWh: 0,
    };
    at += energyKWh;
    return step;
  });
}

function preview(
  supply: CurveStep[],
  demand: CurveStep[],
  extra: Partial<MarketPreview> = {},
): MarketPreview {
  return {
    computedMs: 0,
    interval: { start: '2026-06-01T12:00:00Z', startMs: 0, minutes: 15, elapsedFraction: 0.5 },
    currency: 'EUR',
    preset: 'piclo',
    platform: 'Piclo',
    mechanism: 'uniform',
    tariff: { importPrice: 0.3, exportPrice: 0.05 },
    gridAvailable: true,
    clearingPrice: null,
    zones: [],
    supply,
    demand,
    trades: [],
    welfare: 0,
    localKWh: 0,
    grid: {
      available: true,
      importKWh: 0,
      exportKWh: 0,
      importCost: 0,
      exportRevenue: 0,
      unservedKWh: 0,
      curtailedKWh: 0,
    },
    fees: { network: 0, community: 0, distributionOperator: 0, total: 0 },
    branches: [],
    unmetered: [],
    timing: { buildMs: 0, clearMs: 0 },
    ...extra,
  };
}

describe('chart scale', () => {
  const supply = steps([
    ['a', 1.5, 0.08],
    ['b', 2, 0.12],
  ]);
  const demand = steps([
    ['c', 1, 0.4],
    ['d', 2.2, 0.2],
  ]);

  it('covers the curves, the grid prices and the zones', () => {
    const scale = chartScale(
      preview(supply, demand, { zones: [{ topBus: 'x', buses: ['x'], price: 0.02 }] }),
      box,
    );
    // Every price drawn lies inside the plot, and the widest curve (3.2 kWh) fits across it.
    for (const price of [0.02, 0.05, 0.08, 0.12, 0.2, 0.3, 0.4]) {
      expect(scale.y(price)).toBeGreaterThanOrEqual(box.top);
      expect(scale.y(price)).toBeLessThanOrEqual(box.height - box.bottom);
    }
    expect(scale.maxKWh).toBeGreaterThanOrEqual(3.2);
    expect(scale.x(scale.maxKWh)).toBeCloseTo(box.width - box.right, 9);
    expect(scale.x(0)).toBe(box.left);
  });

  it('puts higher prices higher on the screen', () => {
    const scale = chartScale(preview(supply, demand), box);
    expect(scale.y(0.3)).toBeLessThan(scale.y(0.1));
  });

  it('keeps a visible range when every price is the same', () => {
    const flat = preview(steps([['a', 1, 0.1]]), steps([['b', 1, 0.1]]), {
      tariff: { importPrice: 0.1, exportPrice: 0.1 },
    });
    const scale = chartScale(flat, box);
    expect(scale.maxPrice - scale.minPrice).toBeGreaterThan(0.05);
    expect(Number.isFinite(scale.y(0.1))).toBe(true);
  });

  it('has a width with no orders at all', () => {
    const scale = chartScale(preview([], []), box);
    expect(scale.maxKWh).toBeGreaterThan(0);
    expect(Number.isFinite(scale.x(0))).toBe(true);
  });
});

describe('step path', () => {
  it('draws each order flat at its price across its energy', () => {
    const supply = steps([
      ['a', 1.5, 0.08],
      ['b', 2, 0.12],
    ]);
    const scale = chartScale(preview(supply, []), box);
    const d = stepPath(supply, scale);
    const r = (v: number) => Math.round(v * 10) / 10;
    expect(d).toBe(
      `M${r(scale.x(0))},${r(scale.y(0.08))}H${r(scale.x(1.5))}V${r(scale.y(0.12))}H${r(scale.x(3.5))}`,
    );
  });

  it('is empty without orders', () => {
    expect(stepPath([], chartScale(preview([], []), box))).toBe('');
  });
});

describe('ticks', () => {
  it('are round, evenly spaced and cover the range', () => {
    for (const [min, max] of [
      [0, 9.3],
      [0.043, 0.31],
      [-0.2, 0.45],
      [0, 0.0042],
    ] as const) {
      const ticks = niceTicks(min, max, 5);
      expect(ticks.length).toBeGreaterThanOrEqual(3);
      const step = ticks[1]! - ticks[0]!;
      const mantissa = step / 10 ** Math.floor(Math.log10(step));
      expect([1, 2, 5, 10].some((m) => Math.abs(m - mantissa) < 1e-6)).toBe(true);
      ticks.forEach((t, i) => {
        expect(t).toBeGreaterThanOrEqual(min - 1e-12);
        expect(t).toBeLessThanOrEqual(max + 1e-12);
        if (i > 0) expect(t - ticks[i - 1]!).toBeCloseTo(step, 12);
      });
      expect(ticks[0]! - min).toBeLessThan(step + 1e-12);
      expect(max - ticks.at(-1)!).toBeLessThan(step + 1e-12);
    }
  });

  it('give one tick for an empty range', () => {
    expect(niceTicks(2, 2)).toEqual([2]);
  });

  it('have enough decimals to tell neighbours apart', () => {
    const ticks = niceTicks(0.05, 0.3, 5);
    const labels = ticks.map((t) => t.toFixed(tickDecimals(ticks)));
    expect(new Set(labels).size).toBe(ticks.length);
    expect(tickDecimals([0, 2, 4])).toBe(0);
  });
});
