// The market calls of the API (see contract.ts): the current settlement interval cleared as a
// preview from live readings (supply and demand curves, clearing price, trades), the presets, and
// the site's market settings — read, validated and saved to the site file.
import { changes, reads, type CallAccess } from './access.ts';
import { z } from 'zod';
import type {
  BranchFlow,
  GridExchange,
  GridTariff,
  FeeTotals,
  MarketPreset,
  Mechanism,
  PresetId,
  PriceZone,
} from '../market/index.ts';
import type { MarketSettings, MemberMarketSettings } from '../site/schema.ts';
import type { EpochMs } from '../units.ts';
import type { Problem } from '../validation/problems.ts';

/** One order on a supply or demand curve: a step `energyKWh` wide at the order's limit price. */
export interface CurveStep {
  member: string;
  /** The member's bus, or null where the order stands at the root. */
  bus: string | null;
  energyKWh: number;
  /** Where the step starts and ends along the curve (kWh). */
  fromKWh: number;
  toKWh: number;
  /** The order's limit: the least a seller accepts, the most a buyer pays (currency/kWh). */
  pricePerKWh: number;
  /** Of `energyKWh`, what local trades took (kWh). */
  tradedKWh: number;
}

export interface PreviewTrade {
  seller: string;
  buyer: string;
  energyKWh: number;
  /** currency/kWh */
  price: number;
}

/** The current settlement interval cleared from members' live net power. */
export interface MarketPreview {
  computedMs: EpochMs;
  interval: {
    /** ISO 8601 with the site's offset, as in the market's order files. */
    start: string;
    startMs: EpochMs;
    minutes: number;
    /** How much of the interval has passed; the rest is extrapolated from the latest power. */
    elapsedFraction: number;
  };
  currency: string;
  preset: PresetId;
  platform: string;
  mechanism: Mechanism;
  /** Grid prices in force for the interval (currency/kWh). */
  tariff: GridTariff;
  /** False when islanded or off-grid: unmatched energy is then unserved or curtailed. */
  gridAvailable: boolean;
  /** The one price of every trade, or null (zonal prices, a mechanism without one, no trade). */
  clearingPrice: number | null;
  zones: PriceZone[];
  /** Sell orders, cheapest first. */
  supply: CurveStep[];
  /** Buy orders, dearest first. */
  demand: CurveStep[];
  trades: PreviewTrade[];
  /** Σ (bid − offer) × energy over trades (currency). */
  welfare: number;
  localKWh: number;
  grid: GridExchange;
  fees: FeeTotals;
  branches: BranchFlow[];
  /** Members left out of the interval: no good reading of their meter yet. */
  unmetered: string[];
  /** How long building the orders and clearing them took (ms), measured on the back end. */
  timing: { buildMs: number; clearMs: number };
}

/** The market settings, as in the site file and as the market applies them. */
export interface MarketSettingsView {
  file: string;
  /** Why Save is refused whatever the settings (e.g. the bundled demo site), or null. */
  readOnly: string | null;
  /** The site file's `market` block (defaults filled in). */
  settings: MarketSettings;
  /** The preset with the site's overrides applied. */
  effective: EffectiveMarketView;
  /** The site file's time-of-use tariff (the grid's prices, local time), edited beside the market. */
  tariff: { periods: TariffPeriodView[]; gridCO2KgPerKWh: number };
  currency: string;
  timezone: string;
  warnings: Problem[];
}

export interface TariffPeriodView {
  from: string;
  to: string;
  importPricePerKWh: number;
  exportPricePerKWh: number;
}

export interface EffectiveMarketView {
  preset: MarketPreset;
  designatedMembers: string[];
  members: Record<string, MemberMarketSettings>;
  /** Paths under `market` that the site overrides. */
  overridden: string[];
}

export interface SettingsCheck {
  ok: boolean;
  /** Every reason the settings would be refused, as `json.path: message` with paths from the document. */
  problems: Problem[];
  warnings: Problem[];
  /** The settings as the market would apply them; null when they are invalid. */
  effective: EffectiveMarketView | null;
}

export type SaveSettingsResult =
  | { ok: true; file: string; backup: string; settings: MarketSettingsView }
  | { ok: false; problems: Problem[] };

export interface MarketApi {
  /** The current interval's preview; `refresh` clears it again from the latest readings first. */
  'market/preview': { request: { refresh?: boolean }; response: MarketPreview };
  'market/settings': { request: Record<string, never>; response: MarketSettingsView };
  /** The platform presets with the paper's description of each. */
  'market/presets': { request: Record<string, never>; response: MarketPreset[] };
  /** Checks a candidate `market` block (and `tariff`, when given) against the whole site file, without writing. */
  'market/validate-settings': { request: SettingsCandidate; response: SettingsCheck };
  /** Replaces the site file's `market` block and `tariff` when given (file kept as FILE.bak) if the result validates. */
  'market/save-settings': { request: SettingsCandidate; response: SaveSettingsResult };
}

/** The site file's `market` block as edited, and its time-of-use `tariff` when that was edited too. */
export interface SettingsCandidate {
  market: Record<string, unknown>;
  tariff?: Record<string, unknown>;
}

const empty = z.object({}).strict();
// The block itself is checked by the site validator inside the handler, so that an invalid one
// comes back as a list of problems to show beside the fields rather than as a failed call.
const candidate = z
  .object({ market: z.record(z.string(), z.unknown()), tariff: z.record(z.string(), z.unknown()).optional() })
  .strict();

export const marketSchemas: { [K in keyof MarketApi]: z.ZodType<MarketApi[K]['request']> } = {
  'market/preview': z.object({ refresh: z.boolean().optional() }).strict(),
  'market/settings': empty,
  'market/presets': empty,
  'market/validate-settings': candidate,
  'market/save-settings': candidate,
};

export interface MarketEvents {
  /** Pushed when a new preview differs from the last one (every few seconds while power moves). */
  'market/preview': MarketPreview;
  /** Pushed after the settings were saved. */
  'market/settings': MarketSettingsView;
}
export const marketEventNames: ReadonlyArray<keyof MarketEvents> = ['market/preview', 'market/settings'];

/** Who may make each market call (see access.ts). */
export const marketAccess: { [K in keyof MarketApi]: CallAccess } = {
  'market/preview': reads(),
  'market/settings': reads(),
  'market/presets': reads(),
  'market/validate-settings': reads(),
  'market/save-settings': changes('admin'),
};
