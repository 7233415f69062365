// The controller's settings: detection and reconnection limits, dead band, shedding thresholds,
// timings. Defaults are those of the issue and IEEE 1547-2018; a site or a test overrides any.
import type { SiteFile } from '../../shared/site/schema.ts';

export interface ControlConfig {
  /** Outside these the grid counts as lost (a breaker trip also does). */
  gridLoss: { voltageLowPu: number; voltageHighPu: number; frequencyToleranceHz: number };
  /** The grid must stay inside these for `seconds` before the island resynchronises. */
  stability: { seconds: number; voltageLowPu: number; voltageHighPu: number; frequencyToleranceHz: number };
  /** IEEE 1547-2018 Table 5, aggregate DER rating 0–500 kVA: ΔV 10 %, Δf 0.3 Hz, Δφ 20°. */
  syncCheck: { maxVoltageDiffPct: number; maxFrequencyDiffHz: number; maxPhaseDiffDeg: number };
  plannedIslanding: { deadBandKW: number; timeoutSeconds: number; settleSeconds: number };
  /** How long a breaker may take to show its new position before it counts as failed. */
  breakerTimeoutSeconds: number;
  /** After an unplanned island, resynchronise by itself when the grid is back and stable. */
  autoReconnect: boolean;
  shedding: {
    /** Essential loads are shed here so the pool keeps enough to black-start (above SOC_MIN 5 %). */
    floorSoC: number;
    essentialHysteresis: number;
    /** Non-essential tiers: the lowest sheds at the essential reserve, each higher tier this much above. */
    tierSpacing: number;
    hysteresis: number;
    /** No relay switches twice within this, except to stop an overload. */
    minDwellSeconds: number;
    /** Shed the highest tier at once when the pool runs above this share of its available rating. */
    overloadFraction: number;
    /** Restore a tier only if the pool stays below this share with the tier's forecast load. */
    restoreHeadroomFraction: number;
    /** Forecast load × this margin (forecast error, bursts) when judging a restore. */
    restoreLoadMargin: number;
    /** Cold-load pickup: loads off this long come back drawing up to (1 + extra) × their usual. */
    coldLoadExtra: number;
    coldLoadFullAfterSeconds: number;
    /** After an overload shed, a tier waits this many dwell times before it is tried again. */
    overloadBackoffDwells: number;
  };
  pvCurtail: { startSoC: number; releaseSoC: number };
  blackStart: {
    stepSeconds: number;
    energiseTimeoutSeconds: number;
    retrySeconds: number;
    maxRetrySeconds: number;
  };
  /** Hours of essential-load consumption kept in reserve (site batteryPool.reserveHours). */
  reserveHours: number;
  /** The profiles forecast mean loads; bursts and forecast error come on top of the reserve by this factor. */
  reserveMargin: number;
  /** Ticks between retries of a command that failed (open a stuck breaker, form again), seconds. */
  retrySeconds: number;
}

export type ControlConfigOverrides = {
  [K in keyof ControlConfig]?: ControlConfig[K] extends object ? Partial<ControlConfig[K]> : ControlConfig[K];
};

export const DEFAULT_CONTROL_CONFIG: ControlConfig = {
  gridLoss: { voltageLowPu: 0.85, voltageHighPu: 1.15, frequencyToleranceHz: 1 },
  stability: { seconds: 300, voltageLowPu: 0.95, voltageHighPu: 1.1, frequencyToleranceHz: 0.1 },
  syncCheck: { maxVoltageDiffPct: 10, maxFrequencyDiffHz: 0.3, maxPhaseDiffDeg: 20 },
  plannedIslanding: { deadBandKW: 2, timeoutSeconds: 60, settleSeconds: 2 },
  breakerTimeoutSeconds: 3,
  autoReconnect: true,
  shedding: {
    floorSoC: 0.07,
    essentialHysteresis: 0.03,
    tierSpacing: 0.1,
    hysteresis: 0.1,
    minDwellSeconds: 600,
    overloadFraction: 0.95,
    restoreHeadroomFraction: 0.85,
    restoreLoadMargin: 1.3,
    coldLoadExtra: 0.8,
    coldLoadFullAfterSeconds: 600,
    overloadBackoffDwells: 3,
  },
  pvCurtail: { startSoC: 0.95, releaseSoC: 0.9 },
  blackStart: { stepSeconds: 10, energiseTimeoutSeconds: 5, retrySeconds: 60, maxRetrySeconds: 900 },
  reserveHours: 4,
  reserveMargin: 1.3,
  retrySeconds: 10,
};

export function controlConfigFor(site: SiteFile, overrides: ControlConfigOverrides = {}): ControlConfig {
  const base = DEFAULT_CONTROL_CONFIG;
  const merged = {
    ...base,
    reserveHours: site.batteryPool?.reserveHours ?? base.reserveHours,
  } as ControlConfig;
  for (const [key, value] of Object.entries(overrides) as Array<[keyof ControlConfig, unknown]>) {
    if (value === undefined) continue;
    const current = merged[key];
    (merged as unknown as Record<string, unknown>)[key] =
      typeof current === 'object' && current !== null ? { ...current, ...(value as object) } : value;
  }
  return merged;
}
