// Builds the market view of one settlement interval: members' estimated net energy becomes
// orders under the site's market settings, the engine clears them, and the result is shaped for
// the console — supply and demand curves, trades, prices, grid exchange and fees — with the time
// the clearing took, measured rather than assumed.
import { performance } from 'node:perf_hooks';
import type { CurveStep, MarketPreview } from '../../shared/api/market-api.ts';
import {
  clearMarket,
  marketNetwork,
  tariffAt,
  type ClearInput,
  type ClearResult,
  type MeteredMember,
  type NetworkInput,
  type Order,
} from '../../shared/market/index.ts';
import type { SiteFile } from '../../shared/site/schema.ts';
import { isoInZone, zoneOffsetMinutes } from '../../shared/time/zone.ts';
import { MS_PER_MINUTE } from '../../shared/units.ts';
import { siteMarketInput, type EffectiveMarket } from '../../shared/market/site-settings.ts';

export interface PreviewRequest {
  site: SiteFile;
  market: EffectiveMarket;
  /** The site's network as the market sees it; built from the site when absent. */
  network?: NetworkInput;
  intervalStartMs: number;
  intervalMinutes: number;
  nowMs: number;
  /** Each member's estimated net energy over the interval, positive for a surplus (kWh). */
  netSurplusKWh: ReadonlyMap<string, number>;
  /** False while islanded or off-grid. */
  gridAvailable: boolean;
}

export interface BuiltPreview {
  input: ClearInput;
  result: ClearResult;
  preview: MarketPreview;
}

/**
 * The start of the settlement interval holding `timeMs`, aligned to the site's wall clock so that
 * hourly intervals start on the local hour even where the offset is not whole hours.
 */
export function intervalStartMs(timeMs: number, minutes: number, timeZone: string): number {
  const offsetMs = zoneOffsetMinutes(timeZone, timeMs) * MS_PER_MINUTE;
  const lengthMs = minutes * MS_PER_MINUTE;
  return Math.floor((timeMs + offsetMs) / lengthMs) * lengthMs - offsetMs;
}

export function buildPreview(request: PreviewRequest): BuiltPreview {
  const started = performance.now();
  const { site, market, intervalMinutes } = request;
  const startMs = request.intervalStartMs;
  const timeZone = site.site.timezone;
  const tariff = tariffAt({ periods: site.tariff.periods }, startMs, timeZone);

  const members: MeteredMember[] = [];
  const unmetered: string[] = [];
  for (const member of site.members) {
    const netKWh = request.netSurplusKWh.get(member.id);
    if (netKWh === undefined) {
      unmetered.push(member.id);
      continue;
    }
    members.push({
      id: member.id,
      category: member.category,
      priorityTier: member.priorityTier,
      bus: member.bus,
      netKWh,
    });
  }

  const input = siteMarketInput(market, {
    members,
    tariff,
    interval: { start: isoInZone(startMs, timeZone), minutes: intervalMinutes },
    gridAvailable: request.gridAvailable,
    network: request.network ?? marketNetwork(site.topology),
    roster: site.members.map((m) => m.id),
  });
  const clearStarted = performance.now();
  const result = clearMarket(input);
  const clearMs = performance.now() - clearStarted;

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
  return { input, result, preview };
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
