// Settles one interval from its metered energies: members' surplus and deficits move through the
// virtual storage first (own accounts, then the pool), what is left clears in the site's market
// preset, the rest settles against the grid (or, islanded, is unserved or curtailed) — all of it
// the interval market the live preview shows (shared/market/interval-market.ts) — and every
// amount of money is booked from a payer to a payee. Pure: the same energies and opening state
// always give the same record, which is what makes re-running a settlement safe.
import type { MarketPreset } from '../market/index.ts';
import { intervalMarket, intervalMarketSetup, type IntervalMarketSetup } from '../market/interval-market.ts';
import type { SiteFile } from '../site/schema.ts';
import {
  closeAllowanceYear,
  openAllowanceYear,
  useAllowance,
  yearStartMs,
  type AllowanceState,
  type Payback,
} from '../storage/allowance.ts';
import type { HolderMovement, StorageState } from '../storage/virtual-storage.ts';
import { localYear } from '../time/zone.ts';
import type { IntervalEnergies, IntervalMode } from './interval-energy.ts';
import { siteMarket } from './site-market.ts';
import { MS_PER_MINUTE } from '../units.ts';

/** What carries from one interval to the next: the virtual storage and the allowance year. */
export interface SettlementState {
  storage: StorageState | null;
  allowance: AllowanceState | null;
}

export const EMPTY_STATE: SettlementState = { storage: null, allowance: null };

/** One member's interval: metered energy, where it came from and went to, and the money. */
export interface MemberLine {
  member: string;
  /** Metered at the member's meter (kWh). */
  importKWh: number;
  exportKWh: number;
  /** Virtual storage: credited to / drawn from the member's own account (kWh). */
  storedKWh: number;
  drawnKWh: number;
  /** Bought from the pool beyond its own account, and of that, covered by the allowance (kWh). */
  poolBoughtKWh: number;
  allowanceKWh: number;
  poolCost: number;
  /** Surplus sold into the pool plus stored energy sold from its account (kWh). */
  poolSoldKWh: number;
  poolRevenue: number;
  /** Local trades with neighbours. */
  boughtKWh: number;
  energyCost: number;
  soldKWh: number;
  energyRevenue: number;
  gridImportKWh: number;
  gridCost: number;
  gridExportKWh: number;
  gridRevenue: number;
  unservedKWh: number;
  curtailedKWh: number;
  fees: number;
  paybackKWh: number;
  paybackRevenue: number;
  /** Everything paid less everything received (currency). */
  netCost: number;
  /** What the same net metering would have cost with the grid alone, at the interval's tariff. */
  gridOnlyCost: number;
  /** Share of the pool's losses booked against the member's account (kWh). */
  lossKWh: number;
  /** The member's account at the end of the interval (kWh). */
  balanceKWh: number;
}

export const memberLineFields = [
  'importKWh',
  'exportKWh',
  'storedKWh',
  'drawnKWh',
  'poolBoughtKWh',
  'allowanceKWh',
  'poolCost',
  'poolSoldKWh',
  'poolRevenue',
  'boughtKWh',
  'energyCost',
  'soldKWh',
  'energyRevenue',
  'gridImportKWh',
  'gridCost',
  'gridExportKWh',
  'gridRevenue',
  'unservedKWh',
  'curtailedKWh',
  'fees',
  'paybackKWh',
  'paybackRevenue',
  'netCost',
  'gridOnlyCost',
  'lossKWh',
  'balanceKWh',
] as const satisfies ReadonlyArray<Exclude<keyof MemberLine, 'member'>>;

/** A local trade as booked: seller, buyer, kWh, price per kWh. */
export type TradeRow = [seller: string, buyer: string, energyKWh: number, pricePerKWh: number];

export interface IntervalSettlement {
  siteId: string;
  startMs: number;
  minutes: number;
  mode: IntervalMode;
  /** 'incomplete' (a counter was missing), 'late' (settled at the bound without all readings), 'soc-estimated'. */
  flags: string[];
  /** Members whose meters were incomplete. */
  incompleteMembers: string[];
  alarms: string[];
  preset: string;
  mechanism: string;
  prices: {
    importPerKWh: number;
    exportPerKWh: number;
    poolPerKWh: number;
    clearingPerKWh: number | null;
  };
  market: {
    welfare: number;
    localKWh: number;
    trades: TradeRow[];
    gridImportKWh: number;
    gridExportKWh: number;
    importCost: number;
    exportRevenue: number;
    unservedKWh: number;
    curtailedKWh: number;
    fees: { network: number; community: number; distributionOperator: number; total: number };
  };
  pool: {
    chargedKWh: number;
    dischargedKWh: number;
    socStart: number | null;
    socEnd: number | null;
    capacityKWh: number;
    storedStartKWh: number;
    storedEndKWh: number;
    lossesKWh: number;
    reserveTargetKWh: number;
    chargeFromGridKWh: number;
    dischargeToGridKWh: number;
    unattributedChargeKWh: number;
    unattributedDischargeKWh: number;
    recalibrationKWh: number;
    socEstimated: boolean;
    flowErrorKWh: number;
    stockErrorKWh: number;
    /** Paid by the community to the grid for pool charge from the grid, and received for pool export. */
    gridCost: number;
    gridRevenue: number;
  };
  holders: HolderMovement[];
  pcc: { importKWh: number; exportKWh: number };
  members: MemberLine[];
  /**
   * Net receipts of each party (currency): what members pay in all (Σ netCost) against what the
   * grid (supplier), the community fund and the distribution operator receive net. Members'
   * payments to each other cancel inside membersNetCost.
   */
  money: {
    membersNetCost: number;
    grid: number;
    community: number;
    distributionOperator: number;
    /** membersNetCost − (grid + community + distributionOperator); zero up to rounding. */
    conservationError: number;
  };
  kpi: IntervalKpi;
  paybacks: Payback[];
  opening: SettlementState;
  closing: SettlementState;
}

export interface IntervalKpi {
  /** Σ members' net deficits (kWh): the demand the community must supply. */
  demandKWh: number;
  /** Σ members' metered imports (kWh). */
  consumptionKWh: number;
  localTradeKWh: number;
  poolServedKWh: number;
  /** Grid energy for members plus pool charge from the grid (kWh). */
  gridImportKWh: number;
  gridExportKWh: number;
  /** Demand met without the grid (kWh). */
  locallySuppliedKWh: number;
  welfare: number;
  /** Money members paid that stayed in the community: local trades, pool purchases, community fees. */
  keptInCommunity: number;
  co2AvoidedKg: number;
  /** Σ (grid-only cost − net cost) over members. */
  savings: number;
}

/** The interval market's setup (shared/market/interval-market.ts) and the preset it clears by. */
export interface SettlementSetup extends IntervalMarketSetup {
  preset: MarketPreset;
}

export class SettlementSetupError extends Error {
  override name = 'SettlementSetupError';
}

export function settlementSetup(site: SiteFile): SettlementSetup {
  let setup: IntervalMarketSetup;
  try {
    setup = intervalMarketSetup(site, siteMarket(site));
  } catch (error) {
    throw new SettlementSetupError((error as Error).message);
  }
  return { ...setup, preset: setup.market.preset };
}

export interface SettleOptions {
  /** Extra flags, e.g. 'late' when settled at the bound without every reading. */
  flags?: string[];
}

export function settleInterval(
  setup: SettlementSetup,
  energies: IntervalEnergies,
  opening: SettlementState,
  options: SettleOptions = {},
): IntervalSettlement {
  const { site, storage, preset } = setup;
  const timeZone = site.site.timezone;

  // Members' net energy: the market and the pool both work on the interval's net, as net metering does.
  const metered = new Map<string, { importKWh: number; exportKWh: number; complete: boolean }>();
  for (const id of setup.roster) metered.set(id, { importKWh: 0, exportKWh: 0, complete: false });
  for (const m of energies.members) metered.set(m.member, m);
  const incompleteMembers = [...metered].filter(([, m]) => !m.complete).map(([id]) => id);

  const interval = intervalMarket(setup, {
    startMs: energies.startMs,
    minutes: energies.minutes,
    mode: energies.mode,
    netKWh: new Map([...metered].map(([id, m]) => [id, m.exportKWh - m.importKWh])),
    pool: energies.pool,
    storage: opening.storage,
  });
  const { tariff, gridAvailable, pool, input, result: cleared, members: settled } = interval;
  const poolPrice = interval.poolPricePerKWh;
  const deficit = interval.deficitKWh;

  // The allowance year: open it on its first interval, close the previous one after a gap.
  const paybacks: Payback[] = [];
  let allowance: AllowanceState | null = opening.allowance ? structuredClone(opening.allowance) : null;
  if (storage.allowance) {
    if (allowance && allowance.year !== localYear(energies.startMs, timeZone)) {
      paybacks.push(...closeAllowanceYear(allowance, storage.allowance));
      allowance = null;
    }
    allowance ??= openAllowanceYear(storage.allowance, energies.startMs, timeZone);
  } else allowance = null;

  const members: MemberLine[] = [];
  const lineIds = [
    ...new Set([...metered.keys(), ...settled.keys(), ...paybacks.map((p) => p.member)]),
  ].sort();
  for (const id of lineIds) {
    const m = metered.get(id) ?? { importKWh: 0, exportKWh: 0 };
    const f = pool.members.get(id);
    const s = settled.get(id);
    const payback = paybacks.find((p) => p.member === id);
    const poolBought = f?.boughtFromPoolKWh ?? 0;
    const covered = allowance ? useAllowance(allowance, id, poolBought) : 0;
    const poolSold = (f?.soldToPoolKWh ?? 0) + (f?.accountSoldKWh ?? 0);
    const net = m.exportKWh - m.importKWh;
    const line: MemberLine = {
      member: id,
      importKWh: m.importKWh,
      exportKWh: m.exportKWh,
      storedKWh: f?.creditedKWh ?? 0,
      drawnKWh: f?.drawnKWh ?? 0,
      poolBoughtKWh: poolBought,
      allowanceKWh: covered,
      poolCost: (poolBought - covered) * poolPrice,
      poolSoldKWh: poolSold,
      poolRevenue: poolSold * poolPrice,
      boughtKWh: s?.boughtKWh ?? 0,
      energyCost: s?.energyCost ?? 0,
      soldKWh: s?.soldKWh ?? 0,
      energyRevenue: s?.energyRevenue ?? 0,
      gridImportKWh: s?.gridImportKWh ?? 0,
      gridCost: s?.gridCost ?? 0,
      gridExportKWh: s?.gridExportKWh ?? 0,
      gridRevenue: s?.gridRevenue ?? 0,
      unservedKWh: s?.unservedKWh ?? 0,
      curtailedKWh: s?.curtailedKWh ?? 0,
      fees: s?.fees ?? 0,
      paybackKWh: payback?.kWh ?? 0,
      paybackRevenue: payback?.amount ?? 0,
      netCost: 0,
      gridOnlyCost: net < 0 ? -net * tariff.importPrice : -net * tariff.exportPrice,
      lossKWh: f?.lossKWh ?? 0,
      balanceKWh: pool.state.accounts[id] ?? 0,
    };
    line.netCost =
      line.poolCost +
      line.energyCost +
      line.gridCost +
      line.fees -
      line.poolRevenue -
      line.energyRevenue -
      line.gridRevenue -
      line.paybackRevenue;
    members.push(line);
  }

  // The year closes on the interval that reaches its end; the payback is on that interval's bill.
  const endMs = energies.startMs + energies.minutes * MS_PER_MINUTE;
  if (allowance && storage.allowance && endMs >= yearStartMs(allowance.year + 1, timeZone)) {
    const closing = closeAllowanceYear(allowance, storage.allowance);
    for (const p of closing) {
      const line = members.find((l) => l.member === p.member);
      if (!line) continue;
      line.paybackKWh += p.kWh;
      line.paybackRevenue += p.amount;
      line.netCost -= p.amount;
    }
    paybacks.push(...closing);
    allowance = null;
  }

  const poolGridCost = pool.chargeFromGridKWh * tariff.importPrice;
  const poolGridRevenue = gridAvailable ? pool.dischargeToGridKWh * tariff.exportPrice : 0;
  const fees = cleared.fees;
  const sumOf = (f: (l: MemberLine) => number) => members.reduce((t, l) => t + f(l), 0);
  const poolCosts = sumOf((l) => l.poolCost);
  const poolRevenues = sumOf((l) => l.poolRevenue);
  const paybackTotal = sumOf((l) => l.paybackRevenue);
  const membersNetCost = sumOf((l) => l.netCost);
  const money = {
    membersNetCost,
    grid: cleared.grid.importCost - cleared.grid.exportRevenue + poolGridCost - poolGridRevenue,
    community: fees.community + poolCosts - poolRevenues - paybackTotal - poolGridCost + poolGridRevenue,
    distributionOperator: fees.network + fees.distributionOperator,
    conservationError: 0,
  };
  money.conservationError = membersNetCost - (money.grid + money.community + money.distributionOperator);

  const poolServedKWh = sumOf((l) => l.drawnKWh + l.poolBoughtKWh);
  const demandKWh = sum(deficit.values());
  const gridImportKWh = cleared.grid.importKWh + pool.chargeFromGridKWh;
  // Demand nobody supplied (islanded, the pool empty) was not met locally: it is not counted here.
  const locallySuppliedKWh = Math.max(0, demandKWh - gridImportKWh - cleared.grid.unservedKWh);
  const kpi: IntervalKpi = {
    demandKWh,
    consumptionKWh: sumOf((l) => l.importKWh),
    localTradeKWh: cleared.localKWh,
    poolServedKWh,
    gridImportKWh,
    gridExportKWh: cleared.grid.exportKWh + pool.dischargeToGridKWh,
    locallySuppliedKWh,
    welfare: cleared.welfare,
    keptInCommunity: sumOf((l) => l.energyCost + l.poolCost) + fees.community,
    co2AvoidedKg: locallySuppliedKWh * site.tariff.gridCO2KgPerKWh,
    savings: sumOf((l) => l.gridOnlyCost - l.netCost),
  };

  const flags = [...(options.flags ?? [])];
  if (!energies.complete || incompleteMembers.length > 0) flags.push('incomplete');
  if (pool.socEstimated) flags.push('soc-estimated');
  const alarms = [...pool.alarms];
  if (Math.abs(money.conservationError) > 1e-6)
    alarms.push(
      `settlement: money does not balance by ${money.conservationError.toFixed(6)} ${site.site.currency}`,
    );

  return {
    siteId: energies.siteId,
    startMs: energies.startMs,
    minutes: energies.minutes,
    mode: energies.mode,
    flags: [...new Set(flags)].sort(),
    incompleteMembers,
    alarms,
    preset: preset.id,
    mechanism: input.mechanism,
    prices: {
      importPerKWh: tariff.importPrice,
      exportPerKWh: tariff.exportPrice,
      poolPerKWh: poolPrice,
      clearingPerKWh: cleared.clearingPrice,
    },
    market: {
      welfare: cleared.welfare,
      localKWh: cleared.localKWh,
      trades: cleared.trades.map((t) => [t.seller, t.buyer, t.energyKWh, t.price]),
      gridImportKWh: cleared.grid.importKWh,
      gridExportKWh: cleared.grid.exportKWh,
      importCost: cleared.grid.importCost,
      exportRevenue: cleared.grid.exportRevenue,
      unservedKWh: cleared.grid.unservedKWh,
      curtailedKWh: cleared.grid.curtailedKWh,
      fees: { ...fees },
    },
    pool: {
      chargedKWh: energies.pool.chargedKWh,
      dischargedKWh: energies.pool.dischargedKWh,
      socStart: energies.pool.socStart,
      socEnd: energies.pool.socEnd,
      capacityKWh: energies.pool.capacityKWh,
      storedStartKWh: pool.storedStartKWh,
      storedEndKWh: pool.storedEndKWh,
      lossesKWh: pool.lossesKWh,
      reserveTargetKWh: pool.reserveTargetKWh,
      chargeFromGridKWh: pool.chargeFromGridKWh,
      dischargeToGridKWh: pool.dischargeToGridKWh,
      unattributedChargeKWh: pool.unattributedChargeKWh,
      unattributedDischargeKWh: pool.unattributedDischargeKWh,
      recalibrationKWh: pool.recalibrationKWh,
      socEstimated: pool.socEstimated,
      flowErrorKWh: pool.reconciliation.flowErrorKWh,
      stockErrorKWh: pool.reconciliation.stockErrorKWh,
      gridCost: poolGridCost,
      gridRevenue: poolGridRevenue,
    },
    holders: pool.holders,
    pcc: { ...energies.pcc },
    members,
    money,
    kpi,
    paybacks,
    opening,
    closing: { storage: pool.state, allowance },
  };
}

function sum(values: Iterable<number>): number {
  let total = 0;
  for (const v of values) total += v;
  return total;
}
