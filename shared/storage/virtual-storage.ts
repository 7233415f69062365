// The shared battery pool as accounts: every kWh in the pool belongs to a member's account, to the
// community's account, or to the islanding reserve. Each interval moves the pool's metered charge
// and discharge through those holders and apportions the measured losses, so that at every
// interval end  Σ member accounts + community + reserve = the energy the pool holds.
//
// Rules (the README's "Virtual storage" section says why):
//  1. Charge. The pool's charge is first attributed to members' surplus, pro rata to their surplus
//     (up to the total surplus); any charge beyond it came from the grid (or, without a grid, is
//     unattributed). The reserve is refilled first from the whole charge; of what remains each
//     contributor's account is credited with its part, up to the account's capacity (its share of
//     capacity − reserve). What no account takes goes to the community account, which buys it.
//  2. Discharge. The pool's discharge is attributed to members short of energy, pro rata to their
//     deficit when grid-connected, by priority tier (essential first) when islanded. Each member
//     draws its part from its own account first; the rest it buys from the pool, which supplies it
//     from the community account, then (grid-connected) other members' accounts pro rata to their
//     balances and the reserve last, or (islanded) the reserve before members' accounts.
//  3. Losses. The measured loss (charge − discharge − change in stored energy) is shared among
//     holders pro rata to their throughput in the interval (energy in + energy out), since
//     conversion losses arise where energy moves; with no throughput (standing losses) pro rata to
//     balances. No holder is taken below zero; a negative loss (a gain, metering noise) is shared
//     the same way.
import type { IntervalMode } from '../settlement/interval-energy.ts';
import { shareByTier, shareProRata } from './pro-rata.ts';
import { accountCapacityKWh, type VirtualStorageSettings } from './storage-settings.ts';

export const COMMUNITY_HOLDER = '@community';
export const RESERVE_HOLDER = '@reserve';

export interface StorageState {
  /** Energy the pool held at the end of the last settled interval (kWh), measured or estimated. */
  storedKWh: number;
  /** Members' accounts (kWh). */
  accounts: Record<string, number>;
  communityKWh: number;
  reserveKWh: number;
}

export interface PoolInterval {
  mode: IntervalMode;
  chargedKWh: number;
  dischargedKWh: number;
  socStart: number | null;
  socEnd: number | null;
  capacityKWh: number;
  /** Net surplus of each member over the interval (kWh ≥ 0). */
  surplusKWh: ReadonlyMap<string, number>;
  /** Net deficit of each member over the interval (kWh ≥ 0). */
  deficitKWh: ReadonlyMap<string, number>;
}

export interface MemberPoolFlow {
  /** Part of the member's surplus that charged the pool. */
  intoPoolKWh: number;
  /** Of that, credited to the member's own account. */
  creditedKWh: number;
  /** Of that, sold to the community (reserve refill, or the account was full). */
  soldToPoolKWh: number;
  /** Part of the pool's discharge that served the member. */
  fromPoolKWh: number;
  /** Of that, drawn from the member's own account. */
  drawnKWh: number;
  /** Of that, bought from the pool (the community's account, the reserve or others' accounts). */
  boughtFromPoolKWh: number;
  /** Stored energy of this member's account sold, through the community, to serve others. */
  accountSoldKWh: number;
  lossKWh: number;
  openingKWh: number;
  closingKWh: number;
}

export interface HolderMovement {
  holder: string;
  openingKWh: number;
  inKWh: number;
  outKWh: number;
  lossKWh: number;
  closingKWh: number;
}

export interface PoolSettlement {
  state: StorageState;
  members: Map<string, MemberPoolFlow>;
  holders: HolderMovement[];
  storedStartKWh: number;
  storedEndKWh: number;
  /** Charge − discharge − Δ stored (kWh); negative is a gain (metering noise). */
  lossesKWh: number;
  /** True when the stored energy was estimated because a state of charge was missing. */
  socEstimated: boolean;
  reserveTargetKWh: number;
  chargeFromGridKWh: number;
  dischargeToGridKWh: number;
  /** Charge with no surplus and no grid to come from, or discharge no member took, when islanded. */
  unattributedChargeKWh: number;
  unattributedDischargeKWh: number;
  /** Stored energy at the start that differed from the last interval's end, booked to holders. */
  recalibrationKWh: number;
  /** (Σ holders' change) − (charge − discharge − losses), and Σ holders − stored energy, kWh. */
  reconciliation: { flowErrorKWh: number; stockErrorKWh: number };
  alarms: string[];
}

/** Mismatches below this are rounding, not energy (kWh). */
export function reconciliationToleranceKWh(capacityKWh: number): number {
  return Math.max(1e-3, 1e-6 * capacityKWh);
}

export function settlePool(
  settings: VirtualStorageSettings,
  previous: StorageState | null,
  interval: PoolInterval,
): PoolSettlement {
  const alarms: string[] = [];
  const capacityKWh = interval.capacityKWh > 0 ? interval.capacityKWh : settings.capacityKWh;
  const tolerance = reconciliationToleranceKWh(capacityKWh);
  const C = Math.max(0, interval.chargedKWh);
  const D = Math.max(0, interval.dischargedKWh);
  const eta = settings.oneWayEfficiency;
  const grid = interval.mode === 'grid-connected';

  let socEstimated = false;
  let storedStart: number;
  if (interval.socStart !== null) storedStart = interval.socStart * capacityKWh;
  else if (previous) {
    storedStart = previous.storedKWh;
    socEstimated = true;
  } else {
    storedStart = 0;
    socEstimated = true;
    alarms.push('battery pool: no state of charge at the start of the first settled interval; assumed empty');
  }
  let storedEnd: number;
  if (interval.socEnd !== null) storedEnd = interval.socEnd * capacityKWh;
  else {
    storedEnd = Math.max(0, storedStart + C * eta - D / eta);
    socEstimated = true;
  }
  const lossesKWh = C - D - (storedEnd - storedStart);

  // Holders' balances as they move through the interval.
  const balance = new Map<string, number>();
  const opening = new Map<string, number>();
  const inKWh = new Map<string, number>();
  const outKWh = new Map<string, number>();
  const add = (m: Map<string, number>, k: string, v: number) => m.set(k, (m.get(k) ?? 0) + v);
  const credit = (holder: string, kwh: number) => {
    if (kwh === 0) return;
    add(balance, holder, kwh);
    add(inKWh, holder, kwh);
  };
  const debit = (holder: string, kwh: number) => {
    if (kwh === 0) return;
    add(balance, holder, -kwh);
    add(outKWh, holder, kwh);
  };

  let recalibrationKWh = 0;
  if (previous) {
    for (const [member, kwh] of Object.entries(previous.accounts)) balance.set(member, kwh);
    balance.set(COMMUNITY_HOLDER, previous.communityKWh);
    balance.set(RESERVE_HOLDER, previous.reserveKWh);
    recalibrationKWh = storedStart - previous.storedKWh;
  } else {
    // Commissioning: what the pool already holds fills the reserve, the rest is the community's.
    const reserve = Math.min(storedStart, settings.reserveKWh);
    balance.set(RESERVE_HOLDER, reserve);
    balance.set(COMMUNITY_HOLDER, storedStart - reserve);
  }
  for (const member of settings.shares.keys()) if (!balance.has(member)) balance.set(member, 0);
  for (const [k, v] of balance) opening.set(k, v);

  if (Math.abs(recalibrationKWh) > tolerance) {
    alarms.push(
      `battery pool: holds ${storedStart.toFixed(3)} kWh at the start of the interval but ${previous!.storedKWh.toFixed(3)} kWh ` +
        'at the end of the last settled one (a gap in settlement or a state-of-charge recalibration); the difference is booked ' +
        (recalibrationKWh > 0 ? 'to the community account' : 'against holders pro rata to their balances'),
    );
  }
  if (recalibrationKWh > 0) balance.set(COMMUNITY_HOLDER, balance.get(COMMUNITY_HOLDER)! + recalibrationKWh);
  else if (recalibrationKWh < 0) {
    const positive = new Map([...balance].filter(([, v]) => v > 0));
    const shared = shareProRata(-recalibrationKWh, positive, positive);
    for (const [k, v] of shared.parts) balance.set(k, balance.get(k)! - v);
    if (shared.leftover > 0) balance.set(COMMUNITY_HOLDER, balance.get(COMMUNITY_HOLDER)! - shared.leftover);
  }
  const startTotal = sum(balance.values());

  const flows = new Map<string, MemberPoolFlow>();
  const flow = (member: string): MemberPoolFlow => {
    let f = flows.get(member);
    if (!f) {
      f = {
        intoPoolKWh: 0,
        creditedKWh: 0,
        soldToPoolKWh: 0,
        fromPoolKWh: 0,
        drawnKWh: 0,
        boughtFromPoolKWh: 0,
        accountSoldKWh: 0,
        lossKWh: 0,
        openingKWh: opening.get(member) ?? 0,
        closingKWh: 0,
      };
      flows.set(member, f);
    }
    return f;
  };

  // 1. Charge.
  const totalSurplus = sum(interval.surplusKWh.values());
  const fromSurplus = Math.min(C, totalSurplus);
  const otherCharge = C - fromSurplus;
  const refill = Math.min(C, Math.max(0, settings.reserveKWh - balance.get(RESERVE_HOLDER)!));
  credit(RESERVE_HOLDER, refill);
  const kept = C > 0 ? (C - refill) / C : 0;
  let credited = 0;
  if (fromSurplus > 0) {
    for (const [member, surplus] of interval.surplusKWh) {
      if (surplus <= 0) continue;
      const into = (fromSurplus * surplus) / totalSurplus;
      const room = Math.max(
        0,
        accountCapacityKWh(settings, member, capacityKWh) - (balance.get(member) ?? 0),
      );
      const c = Math.min(into * kept, room);
      credit(member, c);
      credited += c;
      const f = flow(member);
      f.intoPoolKWh = into;
      f.creditedKWh = c;
      f.soldToPoolKWh = into - c;
    }
  }
  credit(COMMUNITY_HOLDER, C - refill - credited);

  // 2. Discharge.
  const totalDeficit = sum(interval.deficitKWh.values());
  const toMembers = Math.min(D, totalDeficit);
  const otherDischarge = D - toMembers;
  const served = grid
    ? shareProRata(toMembers, interval.deficitKWh, interval.deficitKWh).parts
    : shareByTier(toMembers, interval.deficitKWh, (m) => settings.priorityTiers.get(m) ?? 9).parts;
  let bought = 0;
  for (const [member, y] of served) {
    if (y <= 0) continue;
    const own = Math.max(0, Math.min(y, balance.get(member) ?? 0));
    debit(member, own);
    const f = flow(member);
    f.fromPoolKWh = y;
    f.drawnKWh = own;
    f.boughtFromPoolKWh = y - own;
    bought += y - own;
  }
  let needed = bought + otherDischarge;
  const takeFrom = (holder: string) => {
    const take = Math.min(needed, Math.max(0, balance.get(holder) ?? 0));
    debit(holder, take);
    needed -= take;
  };
  const takeFromAccounts = () => {
    if (needed <= 0) return;
    const balances = new Map(
      [...balance].filter(([k, v]) => !k.startsWith('@') && v > 0 && !(flows.get(k)?.boughtFromPoolKWh ?? 0)),
    );
    const shared = shareProRata(needed, balances, balances);
    for (const [member, kwh] of shared.parts) {
      if (kwh <= 0) continue;
      debit(member, kwh);
      flow(member).accountSoldKWh = kwh;
    }
    needed = shared.leftover;
  };
  takeFrom(COMMUNITY_HOLDER);
  if (grid) {
    takeFromAccounts();
    if (needed > tolerance && balance.get(RESERVE_HOLDER)! > 0)
      alarms.push(
        'battery pool: the islanding reserve was drawn while grid-connected (no other stored energy left)',
      );
    takeFrom(RESERVE_HOLDER);
  } else {
    takeFrom(RESERVE_HOLDER);
    takeFromAccounts();
  }
  if (needed > tolerance)
    alarms.push(
      `battery pool: discharged ${needed.toFixed(3)} kWh more than its holders held; booked against the community account`,
    );
  if (needed > 0) debit(COMMUNITY_HOLDER, needed);

  // 3. Losses.
  const throughput = new Map<string, number>();
  for (const k of balance.keys()) {
    const t = (inKWh.get(k) ?? 0) + (outKWh.get(k) ?? 0);
    if (t > 0) throughput.set(k, t);
  }
  const weights = throughput.size > 0 ? throughput : new Map([...balance].filter(([, v]) => v > 0));
  const loss = new Map<string, number>();
  if (lossesKWh > 0) {
    const caps = new Map([...weights.keys()].map((k) => [k, Math.max(0, balance.get(k)!)]));
    let shared = shareProRata(lossesKWh, weights, caps);
    if (shared.leftover > 0) {
      // The movers are empty: the rest falls on whoever still holds energy.
      const holding = new Map([...balance].filter(([k, v]) => v - (shared.parts.get(k) ?? 0) > 0));
      const rest = new Map([...holding].map(([k, v]) => [k, v - (shared.parts.get(k) ?? 0)]));
      const more = shareProRata(shared.leftover, rest, rest);
      for (const [k, v] of more.parts) shared.parts.set(k, (shared.parts.get(k) ?? 0) + v);
      shared = { parts: shared.parts, leftover: more.leftover };
    }
    for (const [k, v] of shared.parts) loss.set(k, v);
    if (shared.leftover > tolerance)
      alarms.push(
        `battery pool: losses of ${lossesKWh.toFixed(3)} kWh exceed what its holders hold; ${shared.leftover.toFixed(3)} kWh unapportioned`,
      );
  } else if (lossesKWh < 0) {
    const shared = shareProRata(-lossesKWh, weights.size > 0 ? weights : new Map([[COMMUNITY_HOLDER, 1]]));
    for (const [k, v] of shared.parts) loss.set(k, -v);
  }
  for (const [k, v] of loss) {
    balance.set(k, balance.get(k)! - v);
    if (!k.startsWith('@')) flow(k).lossKWh = v;
  }

  // Closing, reconciliation and the record.
  const accounts: Record<string, number> = {};
  for (const [k, v] of [...balance].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    if (k.startsWith('@')) continue;
    if (v !== 0 || settings.shares.has(k)) accounts[k] = v;
    if (v < -tolerance) alarms.push(`virtual storage: account of '${k}' is negative (${v.toFixed(3)} kWh)`);
  }
  const endTotal = sum(balance.values());
  const appliedLoss = sum(loss.values());
  const flowErrorKWh = endTotal - startTotal - (C - D - lossesKWh);
  const stockErrorKWh = endTotal - storedEnd;
  if (Math.abs(flowErrorKWh) > tolerance || Math.abs(stockErrorKWh) > tolerance)
    alarms.push(
      `virtual storage does not reconcile with the pool's meters: accounts + community + reserve = ${endTotal.toFixed(3)} kWh, ` +
        `the pool holds ${storedEnd.toFixed(3)} kWh (losses booked ${appliedLoss.toFixed(3)} of ${lossesKWh.toFixed(3)} kWh)`,
    );

  const holders: HolderMovement[] = [...balance.keys()].sort(holderOrder).map((holder) => ({
    holder,
    openingKWh: opening.get(holder) ?? 0,
    inKWh: inKWh.get(holder) ?? 0,
    outKWh: outKWh.get(holder) ?? 0,
    lossKWh: loss.get(holder) ?? 0,
    closingKWh: balance.get(holder)!,
  }));
  for (const [member, f] of flows) f.closingKWh = balance.get(member) ?? 0;

  return {
    state: {
      storedKWh: storedEnd,
      accounts,
      communityKWh: balance.get(COMMUNITY_HOLDER)!,
      reserveKWh: balance.get(RESERVE_HOLDER)!,
    },
    members: flows,
    holders,
    storedStartKWh: storedStart,
    storedEndKWh: storedEnd,
    lossesKWh,
    socEstimated,
    reserveTargetKWh: settings.reserveKWh,
    chargeFromGridKWh: grid ? otherCharge : 0,
    dischargeToGridKWh: grid ? otherDischarge : 0,
    unattributedChargeKWh: grid ? 0 : otherCharge,
    unattributedDischargeKWh: grid ? 0 : otherDischarge,
    recalibrationKWh,
    reconciliation: { flowErrorKWh, stockErrorKWh },
    alarms,
  };
}

/** Reserve and community first, then members by id. */
function holderOrder(a: string, b: string): number {
  const rank = (h: string) => (h === RESERVE_HOLDER ? 0 : h === COMMUNITY_HOLDER ? 1 : 2);
  return rank(a) - rank(b) || (a < b ? -1 : a > b ? 1 : 0);
}

function sum(values: Iterable<number>): number {
  let total = 0;
  for (const v of values) total += v;
  return total;
}
