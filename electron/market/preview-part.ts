// The market view's back end: samples members' net power every second into an estimate of the
// current settlement interval's energy, clears that interval every few seconds (and on request)
// under the site's market settings, pushes the preview when it changes, and reads, checks and
// saves the site file's `market` block. Clearing the demo village's ~45 orders takes well under a
// millisecond (see timing in each preview), so it runs on a timer of its own rather than in a
// worker: it never runs inside the poller's read callbacks.
import path from 'node:path';
import type { HandlersOf } from '../../shared/api/contract.ts';
import type { LiveSnapshot } from '../../shared/api/live.ts';
import type { MarketApi, MarketPreview, MarketSettingsView } from '../../shared/api/market-api.ts';
import { marketNetwork, marketPresets, presetIds } from '../../shared/market/index.ts';
import type { SiteFile } from '../../shared/site/schema.ts';
import { MS_PER_MINUTE } from '../../shared/units.ts';
import type { ConsoleContext, ConsolePart } from '../platform/console-part.ts';
import { DEMO_SITE_PATH } from '../app/site-loader.ts';
import { buildPreview, intervalStartMs } from './preview-builder.ts';
import { IntervalEnergyEstimate } from './preview-interval-energy.ts';
import { checkMarketCandidate, saveMarketSettings } from './preview-settings-file.ts';
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
  const readOnly =
    path.resolve(ctx.siteFile) === path.resolve(DEMO_SITE_PATH)
      ? 'the bundled demo site is read-only: copy it, then start the console with --site COPY to change its market settings'
      : null;
  const network = marketNetwork(ctx.site.topology);
  const estimate = new IntervalEnergyEstimate();
  let site: SiteFile = ctx.site;
  let market: EffectiveMarket = effectiveMarket(site.market);
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
    return snapshot;
  }

  function refresh(): MarketPreview {
    const nowMs = ctx.now();
    const snapshot = sample(nowMs);
    lastClearMs = nowMs;
    // An open PCC breaker is an island: nothing falls back to the grid.
    const gridAvailable = site.grid.kind === 'connected' && snapshot.pcc?.breakerClosed.value !== 0;
    const { preview, input } = buildPreview({
      site,
      market,
      network,
      intervalStartMs: estimate.intervalStartMs,
      intervalMinutes: site.market.intervalMinutes,
      nowMs,
      netSurplusKWh: estimate.netSurplusKWh(),
      gridAvailable,
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
      file: ctx.siteFile,
      readOnly,
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
      const checked = checkMarketCandidate(ctx.siteFile, candidate, tariff);
      return checked.ok
        ? {
            ok: true,
            problems: [],
            warnings: checked.warnings,
            effective: effectiveMarket(checked.site.market),
          }
        : { ok: false, problems: checked.problems, warnings: checked.warnings, effective: null };
    },
    'market/save-settings': ({ market: candidate, tariff }) => {
      if (readOnly) return { ok: false, problems: [{ path: '', message: readOnly }] };
      const saved = saveMarketSettings(ctx.siteFile, candidate, tariff);
      if (!saved.ok) return saved;
      // Only the market block and the tariff changed; the rest of the running site stays as loaded.
      site = { ...site, market: saved.site.market, tariff: saved.site.tariff };
      market = effectiveMarket(site.market);
      ctx.log(`market: settings saved to ${ctx.siteFile} (previous file kept as ${saved.backup})`);
      ctx.siteSaved(site);
      const settings = view();
      ctx.emit('market/settings', settings);
      refresh();
      return { ok: true, file: ctx.siteFile, backup: saved.backup, settings };
    },
  };

  return {
    handlers,
    start() {
      tick();
      timer = setInterval(tick, sampleMs);
      timer.unref?.();
    },
    stop() {
      if (timer) clearInterval(timer);
      timer = null;
    },
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
