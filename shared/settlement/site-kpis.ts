// The site's figures over any period, from the settled intervals in force (originals or their
// latest adjustments): welfare, local volume, self-sufficiency, money kept in the community,
// CO2 avoided, and the checks a manager wants to see at a glance (reconciliation, money balance).
import type { IntervalSettlement } from './interval-settlement.ts';

export interface SiteKpis {
  fromMs: number;
  toMs: number;
  intervals: number;
  islandedIntervals: number;
  flaggedIntervals: number;
  /** Σ members' net deficits (kWh). */
  demandKWh: number;
  consumptionKWh: number;
  localTradeKWh: number;
  poolServedKWh: number;
  /** Local trades plus pool deliveries (kWh). */
  localVolumeKWh: number;
  gridImportKWh: number;
  gridExportKWh: number;
  locallySuppliedKWh: number;
  /** Share of members' net demand met without the grid, 0..1 (null without demand). */
  selfSufficiency: number | null;
  welfare: number;
  keptInCommunity: number;
  co2AvoidedKg: number;
  savings: number;
  money: { membersNetCost: number; grid: number; community: number; distributionOperator: number };
  poolLossesKWh: number;
  unservedKWh: number;
  curtailedKWh: number;
  maxReconciliationErrorKWh: number;
  maxConservationError: number;
  alarms: number;
}

export function siteKpis(records: readonly IntervalSettlement[], fromMs: number, toMs: number): SiteKpis {
  const k: SiteKpis = {
    fromMs,
    toMs,
    intervals: records.length,
    islandedIntervals: 0,
    flaggedIntervals: 0,
    demandKWh: 0,
    consumptionKWh: 0,
    localTradeKWh: 0,
    poolServedKWh: 0,
    localVolumeKWh: 0,
    gridImportKWh: 0,
    gridExportKWh: 0,
    locallySuppliedKWh: 0,
    selfSufficiency: null,
    welfare: 0,
    keptInCommunity: 0,
    co2AvoidedKg: 0,
    savings: 0,
    money: { membersNetCost: 0, grid: 0, community: 0, distributionOperator: 0 },
    poolLossesKWh: 0,
    unservedKWh: 0,
    curtailedKWh: 0,
    maxReconciliationErrorKWh: 0,
    maxConservationError: 0,
    alarms: 0,
  };
  for (const r of records) {
    if (r.mode !== 'grid-connected') k.islandedIntervals++;
    if (r.flags.length > 0) k.flaggedIntervals++;
    k.alarms += r.alarms.length;
    k.demandKWh += r.kpi.demandKWh;
    k.consumptionKWh += r.kpi.consumptionKWh;
    k.localTradeKWh += r.kpi.localTradeKWh;
    k.poolServedKWh += r.kpi.poolServedKWh;
    k.gridImportKWh += r.kpi.gridImportKWh;
    k.gridExportKWh += r.kpi.gridExportKWh;
    k.locallySuppliedKWh += r.kpi.locallySuppliedKWh;
    k.welfare += r.kpi.welfare;
    k.keptInCommunity += r.kpi.keptInCommunity;
    k.co2AvoidedKg += r.kpi.co2AvoidedKg;
    k.savings += r.kpi.savings;
    k.money.membersNetCost += r.money.membersNetCost;
    k.money.grid += r.money.grid;
    k.money.community += r.money.community;
    k.money.distributionOperator += r.money.distributionOperator;
    k.poolLossesKWh += r.pool.lossesKWh;
    k.unservedKWh += r.market.unservedKWh;
    k.curtailedKWh += r.market.curtailedKWh;
    k.maxReconciliationErrorKWh = Math.max(
      k.maxReconciliationErrorKWh,
      Math.abs(r.pool.flowErrorKWh),
      Math.abs(r.pool.stockErrorKWh),
    );
    k.maxConservationError = Math.max(k.maxConservationError, Math.abs(r.money.conservationError));
  }
  k.localVolumeKWh = k.localTradeKWh + k.poolServedKWh;
  k.selfSufficiency = k.demandKWh > 0 ? k.locallySuppliedKWh / k.demandKWh : null;
  return k;
}
