// The yearly allowance (as sonnenFlat has it): each member may draw a number of kWh a year from the
// community's part of the pool free of charge; at the end of the year the community pays back
// what the member left unused. Years are calendar years in the site's timezone; a member who
// joins (or a site that starts settling) mid-year is granted the remaining fraction of the year.
import { localMidnightMs, localYear } from '../time/zone.ts';

export interface AllowanceState {
  year: number;
  grantedKWh: Record<string, number>;
  usedKWh: Record<string, number>;
}

export interface AllowanceSettings {
  kWhPerYear: number;
  paybackPricePerKWh: number;
  members: ReadonlySet<string>;
}

export interface Payback {
  member: string;
  year: number;
  kWh: number;
  amount: number;
}

/** The instant local midnight of 1 January of `year` begins (epoch ms). */
export function yearStartMs(year: number, timeZone: string): number {
  return localMidnightMs(year, 0, 1, timeZone);
}

/** The state for the year of `startMs`, granting each member the rest of the year's allowance. */
export function openAllowanceYear(
  settings: AllowanceSettings,
  startMs: number,
  timeZone: string,
): AllowanceState {
  const year = localYear(startMs, timeZone);
  const from = yearStartMs(year, timeZone);
  const to = yearStartMs(year + 1, timeZone);
  const fraction = Math.min(1, Math.max(0, (to - startMs) / (to - from)));
  const grantedKWh: Record<string, number> = {};
  const usedKWh: Record<string, number> = {};
  for (const member of [...settings.members].sort()) {
    grantedKWh[member] = settings.kWhPerYear * fraction;
    usedKWh[member] = 0;
  }
  return { year, grantedKWh, usedKWh };
}

/** How much of `wantKWh` the member's remaining allowance covers; updates `state`. */
export function useAllowance(state: AllowanceState, member: string, wantKWh: number): number {
  const granted = state.grantedKWh[member];
  if (granted === undefined || wantKWh <= 0) return 0;
  const used = state.usedKWh[member] ?? 0;
  const covered = Math.max(0, Math.min(wantKWh, granted - used));
  state.usedKWh[member] = used + covered;
  return covered;
}

/** What the community pays back at the end of `state.year`. */
export function closeAllowanceYear(state: AllowanceState, settings: AllowanceSettings): Payback[] {
  return Object.keys(state.grantedKWh)
    .sort()
    .map((member) => {
      const kWh = Math.max(0, state.grantedKWh[member]! - (state.usedKWh[member] ?? 0));
      return { member, year: state.year, kWh, amount: kWh * settings.paybackPricePerKWh };
    })
    .filter((p) => p.kWh > 0);
}
