// The community market engine: pure clearing of one settlement interval, no I/O.
export * from './clear-input.ts';
export { clearMarket, type BranchFlow, type ClearResult, type Trade } from './clear.ts';
export { shareSupply } from './community-pool.ts';
export { monthFraction, type FeeTotals } from './fees.ts';
export { tariffAt, type GridExchange, type TariffPeriod, type TimeOfUseTariff } from './grid-fallback.ts';
export { settleMembers, type MemberSettlement } from './member-settlement.ts';
export type { PriceZone } from './uniform-auction.ts';
export {
  marketNetwork,
  ordersFromMeteredEnergy,
  type MeteredInterval,
  type MeteredMember,
} from './metered-orders.ts';
export {
  marketPresets,
  presetIds,
  priceFrom,
  type MarketPreset,
  type PresetId,
  type PriceRule,
} from './presets.ts';
