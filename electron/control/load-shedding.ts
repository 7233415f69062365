// Load shedding by priority tier, islanded: tiers go off as the pool's SoC falls below their
// thresholds (highest tier first, essential loads last, at the floor) and come back as it
// recovers, lowest tier first. Hysteresis and a minimum dwell per relay keep relays from
// chattering; only an overload of the pool sheds at once, whatever the dwell.
import type { ShedTierState } from '../../shared/api/control-api.ts';
import type { Member, SiteFile } from '../../shared/site/schema.ts';
import type { ControlConfig } from './control-config.ts';
import { hasLoad, type LoadForecast } from './reserve-sizing.ts';

export interface TierDecision {
  tier: number;
  shed: boolean;
  reason: string;
  overload?: boolean;
}

export interface PoolView {
  timeMs: number;
  socFraction: number | null;
  /** Pool AC power now, positive discharging, kW. */
  poolKW: number | null;
  availableKW: number;
  reserveSoC: number;
}

interface TierRecord {
  tier: number;
  essential: boolean;
  members: Member[];
  shed: boolean;
  manual: boolean;
  lastSwitchMs: number | null;
  switchings: number;
  /** The last shed stopped an overload: the next restore waits longer. */
  overloadShed: boolean;
  /** Index among the non-essential tiers, lowest first. */
  rank: number;
}

const GRID_RESTORE_SPACING_MS = 5000;
/** The pool counts as draining above this discharge, kW. */
const DRAINING_KW = 0.5;

export class LoadShedder {
  private readonly records: TierRecord[];
  private lastGridRestoreMs = Number.NEGATIVE_INFINITY;

  constructor(
    site: SiteFile,
    private readonly config: ControlConfig['shedding'],
    private readonly forecast: LoadForecast,
  ) {
    const byTier = new Map<number, Member[]>();
    for (const m of site.members)
      if (hasLoad(m)) byTier.set(m.priorityTier, [...(byTier.get(m.priorityTier) ?? []), m]);
    let rank = 0;
    this.records = [...byTier.keys()]
      .sort((a, b) => a - b)
      .map((tier) => ({
        tier,
        essential: tier === 0,
        members: byTier.get(tier) ?? [],
        shed: false,
        manual: false,
        lastSwitchMs: null,
        switchings: 0,
        overloadShed: false,
        rank: tier === 0 ? -1 : rank++,
      }));
  }

  /** Tiers that have loads to shed, lowest first. */
  get tierNumbers(): number[] {
    return this.records.map((r) => r.tier);
  }

  has(tier: number): boolean {
    return this.records.some((r) => r.tier === tier);
  }

  isShed(tier: number): boolean {
    return this.find(tier)?.shed ?? false;
  }

  isManual(tier: number): boolean {
    return this.find(tier)?.manual ?? false;
  }

  shedTiers(): number[] {
    return this.records.filter((r) => r.shed).map((r) => r.tier);
  }

  shedMembers(): string[] {
    return this.records.filter((r) => r.shed).flatMap((r) => r.members.map((m) => m.id));
  }

  thresholds(tier: number, reserveSoC: number): { shedBelow: number; restoreAbove: number } {
    const r = this.find(tier);
    const c = this.config;
    if (!r || r.essential) return { shedBelow: c.floorSoC, restoreAbove: c.floorSoC + c.essentialHysteresis };
    const shedBelow = Math.min(0.9, reserveSoC + r.rank * c.tierSpacing);
    return { shedBelow, restoreAbove: Math.min(0.95, shedBelow + c.hysteresis) };
  }

  forecastKW(tier: number, timeMs: number): number {
    const r = this.find(tier);
    return r ? this.forecast.powerKW(r.members, timeMs) : 0;
  }

  /** The switchings to make now in an energised island. */
  decide(view: PoolView): TierDecision[] {
    const soc = view.socFraction;
    const { poolKW, availableKW } = view;
    if (poolKW !== null && availableKW > 0 && poolKW > this.config.overloadFraction * availableKW) {
      const victim = [...this.records].reverse().find((r) => !r.shed && !r.essential);
      return victim
        ? [
            {
              tier: victim.tier,
              shed: true,
              overload: true,
              reason: `pool overloaded: ${poolKW.toFixed(1)} kW of ${availableKW.toFixed(0)} kW available`,
            },
          ]
        : [];
    }
    // SoC unknown: only an overload sheds; nothing is shed or restored by SoC.
    if (soc === null) return [];
    const out: TierDecision[] = [];
    // Below its threshold a tier goes only while the pool is draining: with PV charging the pool
    // there is no reason to cut it, and cutting it would chatter against the restore rule.
    const draining = poolKW === null || poolKW > DRAINING_KW;
    for (const r of [...this.records].reverse()) {
      const { shedBelow } = this.thresholds(r.tier, view.reserveSoC);
      if (!r.shed && draining && soc < shedBelow && this.dwellOver(r, view.timeMs))
        out.push({
          tier: r.tier,
          shed: true,
          reason: `pool SoC ${pct(soc)} below tier ${r.tier}'s threshold ${pct(shedBelow)}`,
        });
    }
    if (out.length > 0) return out;
    for (const r of this.records) {
      if (!r.shed || r.manual) continue;
      const why = this.restoreBlocker(r, view, true);
      if (why) break;
      const { restoreAbove } = this.thresholds(r.tier, view.reserveSoC);
      return [
        {
          tier: r.tier,
          shed: false,
          reason:
            soc >= restoreAbove
              ? `pool SoC ${pct(soc)} above tier ${r.tier}'s restore threshold ${pct(restoreAbove)}`
              : `the PV surplus carries tier ${r.tier} (pool charging at ${(-(view.poolKW ?? 0)).toFixed(1)} kW)`,
        },
      ];
    }
    return [];
  }

  /** Grid-connected: bring back what the island shed, one tier every few seconds. */
  restoreForGrid(timeMs: number): TierDecision | null {
    if (timeMs - this.lastGridRestoreMs < GRID_RESTORE_SPACING_MS) return null;
    const r = this.records.find((x) => x.shed && !x.manual);
    if (!r) return null;
    this.lastGridRestoreMs = timeMs;
    return { tier: r.tier, shed: false, reason: 'grid-connected: the grid supplies every tier' };
  }

  /** Black start: the next tier to bring back, in priority order, or why the sequence stops here. */
  nextForBlackStart(view: PoolView): { decision: TierDecision | null; waiting: string | null } {
    const r = this.records.find((x) => x.shed && !x.manual);
    if (!r) return { decision: null, waiting: null };
    const why = this.restoreBlocker(r, view, false);
    if (why) return { decision: null, waiting: `tier ${r.tier} waits: ${why}` };
    return {
      decision: { tier: r.tier, shed: false, reason: `black start: restoring tier ${r.tier}` },
      waiting: null,
    };
  }

  /** Why tier `tier` cannot come back now (islanded), or null when it can. */
  restoreRefusal(tier: number, view: PoolView): string | null {
    const r = this.find(tier);
    if (!r) return `no tier ${tier}`;
    return this.restoreBlocker(r, view, false);
  }

  /** Tiers to open for an orderly restart after a blackout. */
  allEnergised(): number[] {
    return this.records.filter((r) => !r.shed).map((r) => r.tier);
  }

  record(tier: number, shed: boolean, timeMs: number, manual: boolean, overload = false): void {
    const r = this.find(tier);
    if (!r) return;
    if (shed) r.overloadShed = overload;
    if (r.shed !== shed) {
      r.switchings++;
      r.lastSwitchMs = timeMs;
    }
    r.shed = shed;
    r.manual = shed && manual;
  }

  /** Operator restore while shed by hand: the tier goes back under automatic control. */
  release(tier: number): void {
    const r = this.find(tier);
    if (r) r.manual = false;
  }

  states(view: PoolView, loads: ReadonlyMap<number, number | null>): ShedTierState[] {
    return this.records.map((r) => {
      const t = this.thresholds(r.tier, view.reserveSoC);
      return {
        tier: r.tier,
        essential: r.essential,
        members: r.members.map((m) => m.id),
        shed: r.shed,
        manual: r.manual,
        shedBelowSoC: t.shedBelow,
        restoreAboveSoC: t.restoreAbove,
        loadKW: r.shed ? this.forecastKW(r.tier, view.timeMs) : (loads.get(r.tier) ?? null),
        switchings: r.switchings,
        lastSwitchMs: r.lastSwitchMs,
      };
    });
  }

  private restoreBlocker(r: TierRecord, view: PoolView, needDwell: boolean): string | null {
    const soc = view.socFraction;
    if (soc === null) return 'pool SoC unknown';
    const { restoreAbove } = this.thresholds(r.tier, view.reserveSoC);
    const extra = this.restoreLoadKW(r, view.timeMs);
    // Essential loads come back as soon as the PV surplus alone carries them: the pool need not
    // recover first for the clinic to have power while the sun shines.
    const carriedBySurplus = r.essential && view.poolKW !== null && -view.poolKW > extra;
    if (soc < restoreAbove && !carriedBySurplus)
      return `pool SoC ${pct(soc)} is below tier ${r.tier}'s restore threshold ${pct(restoreAbove)}`;
    if (needDwell && !this.dwellOver(r, view.timeMs, r.overloadShed ? this.config.overloadBackoffDwells : 1))
      return 'relay dwell time not over';
    const limit = this.config.restoreHeadroomFraction * view.availableKW;
    const now = Math.max(0, view.poolKW ?? 0);
    if (now + extra > limit)
      return `the pool would carry ${(now + extra).toFixed(1)} kW with tier ${r.tier}, above ${limit.toFixed(1)} kW (${pct(this.config.restoreHeadroomFraction)} of ${view.availableKW.toFixed(0)} kW available)`;
    return null;
  }

  private dwellOver(r: TierRecord, timeMs: number, dwells = 1): boolean {
    return r.lastSwitchMs === null || timeMs - r.lastSwitchMs >= dwells * this.config.minDwellSeconds * 1000;
  }

  /** What the tier will draw when its relays close: forecast, margin, and cold-load pickup for
   *  the time it has been off. */
  private restoreLoadKW(r: TierRecord, timeMs: number): number {
    const offSeconds = r.shed && r.lastSwitchMs !== null ? (timeMs - r.lastSwitchMs) / 1000 : 0;
    const cold = this.config.coldLoadExtra * Math.min(1, offSeconds / this.config.coldLoadFullAfterSeconds);
    return this.forecast.powerKW(r.members, timeMs) * this.config.restoreLoadMargin * (1 + cold);
  }

  private find(tier: number): TierRecord | undefined {
    return this.records.find((r) => r.tier === tier);
  }
}

export function pct(fraction: number): string {
  return `${(fraction * 100).toFixed(1)} %`;
}
