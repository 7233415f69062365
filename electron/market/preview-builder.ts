// Builds the market view of one settlement interval: members' estimated net energy goes through
// the same interval market settlement runs (shared/market/interval-market.ts: the virtual storage,
// then orders under the site's market settings, then clearing), and the result is shaped for the
// console — supply and demand curves, trades, prices, grid exchange and fees — with the time the
// market took, measured rather than assumed.
import { performance } from 'node:perf_hooks';
import type { CurveStep, MarketPreview } from '../../shared/api/market-api.ts';
import type {
  ClearInput,
  ClearResult,
  MemberSettlement,
  NetworkInput,
  Order,
} from '../../shared/market/index.ts';
import {
  IDLE_POOL,
  intervalMarket,
  intervalMarketSetup,
  type IntervalMarketSetup,
  type PoolEnergies,
} from '../../shared/market/interval-market.ts';
import type { EffectiveMarket } from '../../shared/market/site-settings.ts';
import type { IntervalMode } from '../../shared/settlement/interval-energy.ts';
import type { SiteFile } from '../../shared/site/schema.ts';
import type { StorageState } from '../../shared/storage/virtual-storage.ts';
import { MS_PER_MINUTE } from '../../shared/units.ts';

export interface PreviewRequest {
  site: SiteFile;
  market: EffectiveMarket;
  /** The site's network as the market sees it; built from the site when absent. */
  network?: NetworkInput;
  /** The interval market's setup for this site and market; built from them when absent. */
  setup?: IntervalMarketSetup;
  intervalStartMs: number;
  intervalMinutes: number;
  nowMs: number;
  /** Each member's estimated net energy over the interval, positive for a surplus (kWh). */
  netSurplusKWh: ReadonlyMap<string, number>;
  /** How the controller runs the site this interval: the grid is the fallback only when grid-connected. */
  mode: IntervalMode;
  /** The battery pool's estimated charge and discharge over the interval; idle when absent. */
  pool?: PoolEnergies;
  /** The virtual storage as the last settled interval left it (null: none settled yet). */
  storage?: StorageState | null;
}

export interface BuiltPreview {
  input: ClearInput;
  result: ClearResult;
  preview: MarketPreview;
  /** What each member would trade and pay in the market if the interval closed as estimated. */
  members: MemberSettlement[];
}

export function buildPreview(request: PreviewRequest): BuiltPreview {
  const started = performance.now();
  const { site, market, intervalMinutes } = request;
  const startMs = request.intervalStartMs;
  let setup = request.setup ?? intervalMarketSetup(site, market);
  if (request.network) setup = { ...setup, network: request.network };

  const unmetered = site.members.filter((m) => !request.netSurplusKWh.has(m.id)).map((m) => m.id);
  const marketStarted = performance.now();
  const interval = intervalMarket(setup, {
    startMs,
    minutes: intervalMinutes,
    mode: request.mode,
    netKWh: request.netSurplusKWh,
    pool: request.pool ?? IDLE_POOL,
    storage: request.storage ?? null,
  });
  // The pool step and the members' settlement are linear; the clearing is what can grow.
  const clearMs = performance.now() - marketStarted;
  const { input, result, tariff } = interval;

  const traded = new Map<string, number>();
  for (const t of result.trades) {
    traded.set(t.sellOrder, (traded.get(t.sellOrder) ?? 0) + t.energyKWh);
    traded.set(t.buyOrder, (traded.get(t.buyOrder) ?? 0) + t.energyKWh);
  }
  const lengthMs = intervalMinutes * MS_PER_MINUTE;
  const preview: MarketPreview = {
    computedMs: request.nowMs,
    interval: {
      start: input.interval.start,
      startMs,
      minutes: intervalMinutes,
      elapsedFraction: Math.min(1, Math.max(0, (request.nowMs - startMs) / lengthMs)),
    },
    currency: site.site.currency,
    preset: market.preset.id,
    platform: market.preset.platform,
    mechanism: result.mechanism,
    tariff,
    gridAvailable: result.grid.available,
    clearingPrice: result.clearingPrice,
    zones: result.zones,
    supply: curve(input.orders, 'sell', traded),
    demand: curve(input.orders, 'buy', traded),
    trades: result.trades.map(({ seller, buyer, energyKWh, price }) => ({ seller, buyer, energyKWh, price })),
    welfare: result.welfare,
    localKWh: result.localKWh,
    grid: result.grid,
    fees: result.fees,
    branches: result.branches,
    unmetered,
    timing: { buildMs: 0, clearMs },
  };
  preview.timing.buildMs = performance.now() - started;
  return { input, result, preview, members: [...interval.members.values()] };
}

/** One side's orders as a step curve: sellers cheapest first, buyers dearest first. */
function curve(
  orders: readonly Order[],
  side: Order['side'],
  traded: ReadonlyMap<string, number>,
): CurveStep[] {
  const sign = side === 'sell' ? 1 : -1;
  const sorted = orders
    .filter((o) => o.side === side)
    .sort((a, b) => sign * (a.price - b.price) || (a.member < b.member ? -1 : a.member > b.member ? 1 : 0));
  let at = 0;
  return sorted.map((order) => {
    const step: CurveStep = {
      member: order.member,
      bus: order.bus ?? null,
      energyKWh: order.energyKWh,
      fromKWh: at,
      toKWh: at + order.energyKWh,
      pricePerKWh: order.price,
      tradedKWh: traded.get(order.id) ?? 0,
    };
    at = step.toKWh;
    return step;
  });
}
