// The market view's back end: samples members' net power every second into an estimate of the
// current settlement interval's energy, clears that interval every few seconds (and on request)
// under the site's market settings, pushes the preview when it changes, and reads, checks and
// saves the site file's `market` block. Clearing the demo village's ~45 orders takes well under a
// millisecond (see timing in each preview), so it runs on a timer of its own rather than in a
// worker: it never runs inside the poller's read callbacks.
import type { HandlersOf } from '../../shared/api/contract.ts';
import type { LiveSnapshot } from '../../shared/api/live.ts';
import type { MarketApi, MarketPreview, MarketSettingsView } from '../../shared/api/market-api.ts';
import { marketNetwork, marketPresets, presetIds } from '../../shared/market/index.ts';
import type { IntervalMode } from '../../shared/settlement/interval-energy.ts';
import type { StorageState } from '../../shared/storage/virtual-storage.ts';
import { intervalStartMs } from '../../shared/time/zone.ts';
import { MS_PER_MINUTE } from '../../shared/units.ts';
import type { ConsoleContext, ConsolePart } from '../platform/console-part.ts';
import { buildPreview } from './preview-builder.ts';
import { IntervalEnergyEstimate } from './preview-interval-energy.ts';
import type { SitePatch } from '../platform/site-holder.ts';
import {
  effectiveMarket,
  marketSettingsFindings,
  type EffectiveMarket,
} from '../../shared/market/site-settings.ts';

export interface MarketPreviewOptions {
  /** How often members' power is sampled into the interval's energy estimate. */
  sampleMs?: number;
  /** How often the interval is cleared again. */
  clearEveryMs?: number;
  /**
   * How the controller runs the site during an interval (its mode record), as settlement is told:
   * the grid is the market's fallback only in a grid-connected interval. Without a controller the
   * site's kind stands in (grid-connected unless off-grid).
   */
  modeDuring?: (startMs: number, minutes: number) => IntervalMode;
  /** The virtual storage as settlement last left it; without one, as if nothing was settled yet. */
  openingStorage?: () => StorageState | null;
}

/** Above this a clearing would be worth moving to a worker thread (ms). */
const CLEAR_BUDGET_MS = 10;
const BUDGET_LOG_EVERY_MS = 60_000;

export function createMarketPreviewPart(
  ctx: ConsoleContext,
  options: MarketPreviewOptions = {},
): ConsolePart<HandlersOf<MarketApi>> {
  const sampleMs = options.sampleMs ?? 1000;
  const clearEveryMs = options.clearEveryMs ?? 5000;
  const sites = ctx.sites;
  // The site is always the store's current one: a save (of the market here, or of a device by
  // commissioning) applies at the next sample. The derived network and market follow it.
  let site = sites.current();
  let network = marketNetwork(site.topology);
  let market: EffectiveMarket = effectiveMarket(site.market);
  const estimate = new IntervalEnergyEstimate();
  let latest: MarketPreview | null = null;
  let latestKey = '';
  let lastClearMs = Number.NEGATIVE_INFINITY;
  let timingLogged = false;
  let lastBudgetLogMs = Number.NEGATIVE_INFINITY;
  let lastError = '';
  let timer: ReturnType<typeof setInterval> | null = null;

  function sample(nowMs: number): LiveSnapshot {
    const minutes = site.market.intervalMinutes;
    const startMs = intervalStartMs(nowMs, minutes, site.site.timezone);
    const endMs = startMs + minutes * MS_PER_MINUTE;
    if (startMs !== estimate.intervalStartMs || endMs !== estimate.intervalEndMs)
      estimate.begin(startMs, endMs);
    const snapshot = ctx.snapshot();
    const power = new Map<string, number | null>();
    for (const member of site.members) {
      const reading = snapshot.members[member.id];
      power.set(
        member.id,
        reading && reading.value !== null && reading.quality !== 'bad' ? reading.value : null,
      );
    }
    estimate.sample(nowMs, power);
    const battery = snapshot.totals.battery;
    // A sum missing an inverter would understate the pool's flows: skip it, as a bad meter is.
    estimate.samplePool(nowMs, battery.complete ? battery.valueKW : null);
    return snapshot;
  }

  function refresh(): MarketPreview {
    const nowMs = ctx.now();
    sample(nowMs);
    lastClearMs = nowMs;
    const minutes = site.market.intervalMinutes;
    // The controller's mode, not the breaker reading: settlement bills by the mode it recorded.
    const mode: IntervalMode =
      options.modeDuring?.(estimate.intervalStartMs, minutes) ??
      (site.grid.kind === 'off-grid' ? 'off-grid' : 'grid-connected');
    const { preview, input } = buildPreview({
      site,
      market,
      network,
      intervalStartMs: estimate.intervalStartMs,
      intervalMinutes: minutes,
      nowMs,
      netSurplusKWh: estimate.netSurplusKWh(),
      mode,
      pool: {
        ...estimate.poolKWh(),
        // The stored energy does not move the market; settlement reads it at the interval's ends.
        socStart: null,
        socEnd: null,
        capacityKWh: 0,
      },
      storage: options.openingStorage?.() ?? null,
    });
    // The first clearings run cold (module set-up, JIT): they are logged, not held to the budget,
    // and an over-budget clearing is logged at most once a minute.
    if (!timingLogged && input.orders.length > 0) {
      timingLogged = true;
      ctx.log(
        `market preview: ${input.orders.length} orders cleared by ${preview.mechanism} in ` +
          `${preview.timing.clearMs.toFixed(2)} ms (${preview.timing.buildMs.toFixed(2)} ms with the orders)`,
      );
    } else if (
      timingLogged &&
      preview.timing.clearMs > CLEAR_BUDGET_MS &&
      nowMs - lastBudgetLogMs >= BUDGET_LOG_EVERY_MS
    ) {
      lastBudgetLogMs = nowMs;
      ctx.log(
        `market preview: clearing ${input.orders.length} orders took ${preview.timing.clearMs.toFixed(1)} ms, ` +
          `over its ${CLEAR_BUDGET_MS} ms budget`,
      );
    }
    latest = preview;
    const key = fingerprint(preview);
    if (key !== latestKey) {
      latestKey = key;
      ctx.emit('market/preview', preview);
    }
    return preview;
  }

  function tick(): void {
    try {
      const nowMs = ctx.now();
      if (nowMs - lastClearMs >= clearEveryMs) refresh();
      else sample(nowMs);
      lastError = '';
    } catch (error) {
      const message = (error as Error).message;
      // Once per distinct failure: the timer would otherwise repeat it every second.
      if (message !== lastError) ctx.log(`market preview: ${message}`);
      lastError = message;
    }
  }

  function view(): MarketSettingsView {
    return {
      file: sites.file,
      readOnly: sites.access().reason,
      settings: site.market,
      effective: market,
      tariff: {
        periods: site.tariff.periods.map(({ from, to, importPricePerKWh, exportPricePerKWh }) => ({
          from,
          to,
          importPricePerKWh,
          exportPricePerKWh,
        })),
        gridCO2KgPerKWh: site.tariff.gridCO2KgPerKWh,
      },
      currency: site.site.currency,
      timezone: site.site.timezone,
      warnings: marketSettingsFindings(site).warnings,
    };
  }

  const handlers: HandlersOf<MarketApi> = {
    'market/preview': ({ refresh: again }) => (again || !latest ? refresh() : latest),
    'market/settings': () => view(),
    'market/presets': () => presetIds.map((id) => marketPresets[id]),
    'market/validate-settings': ({ market: candidate, tariff }) => {
      const checked = sites.check(marketPatch(candidate, tariff));
      return checked.ok
        ? {
            ok: true,
            problems: [],
            warnings: marketSettingsFindings(checked.site).warnings,
            effective: effectiveMarket(checked.site.market),
          }
        : { ok: false, problems: checked.problems, warnings: [], effective: null };
    },
    'market/save-settings': ({ market: candidate, tariff }, { caller }) => {
      const saved = sites.save(marketPatch(candidate, tariff), caller.user);
      if (!saved.ok) return saved;
      // The store has told every subscriber, this part included (see follow below).
      ctx.log(
        `market: settings saved to ${saved.file} by ${caller.user} (previous file kept as ${saved.backup})`,
      );
      return { ok: true, file: saved.file, backup: saved.backup, settings: view() };
    },
  };

  // Every saved site, whoever saved it: the settings view and the preview follow at once.
  const follow = () => {
    site = sites.current();
    network = marketNetwork(site.topology);
    market = effectiveMarket(site.market);
    ctx.emit('market/settings', view());
    refresh();
  };
  let unfollow: (() => void) | null = sites.subscribe(() => {
    try {
      follow();
    } catch (error) {
      ctx.log(`market preview: ${(error as Error).message}`);
    }
  });

  return {
    handlers,
    start() {
      tick();
      timer = setInterval(tick, sampleMs);
      timer.unref?.();
    },
    stop() {
      unfollow?.();
      unfollow = null;
      if (timer) clearInterval(timer);
      timer = null;
    },
  };
}

/** The market view's change to the site file: the `market` block, and the `tariff` when given. */
function marketPatch(market: unknown, tariff: unknown): SitePatch {
  return (doc) => {
    // Assigning keeps the key's place in the document, so a diff of the file shows only the block.
    doc.market = market;
    if (tariff !== undefined) doc.tariff = tariff;
    return [];
  };
}

/** What makes two previews different to a viewer: energies to the Wh, prices to 0.0001. */
function fingerprint(p: MarketPreview): string {
  const kwh = (v: number) => Math.round(v * 1000);
  const price = (v: number | null) => (v === null ? null : Math.round(v * 10_000));
  return JSON.stringify([
    p.interval.start,
    p.preset,
    p.mechanism,
    p.gridAvailable,
    price(p.clearingPrice),
    p.zones.map((z) => [z.topBus, price(z.price)]),
    p.trades.map((t) => [t.seller, t.buyer, kwh(t.energyKWh), price(t.price)]),
    p.supply.map((s) => [s.member, kwh(s.energyKWh), price(s.pricePerKWh)]),
    p.demand.map((s) => [s.member, kwh(s.energyKWh), price(s.pricePerKWh)]),
    p.unmetered,
  ]);
}
