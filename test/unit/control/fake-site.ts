// A hand-driven site for the controller's unit tests: measurements the test sets field by field,
// and actuators that record every call and move the breaker and the pool as a site would (unless
// told to fail), so each rule of the state machine can be driven into its corner.
import type { BatteryMode } from '../../../shared/api/control-api.ts';
import type { SiteFile } from '../../../shared/site/schema.ts';
import { done, failed, type ActuatorResult, type Actuators } from '../../../electron/control/actuators.ts';
import type { Measurements } from '../../../electron/control/measurements.ts';

export interface FakeState {
  timeMs: number;
  meterUp: boolean;
  gridV: number;
  gridHz: number;
  pccKW: number;
  breakerClosed: boolean;
  breakerTripped: boolean;
  breakerStuck: boolean;
  phaseDeg: number | null;
  islandV: number;
  islandHz: number;
  soc: number;
  poolKW: number;
  mode: BatteryMode;
  tripped: Set<string>;
  tierLoadKW: number;
  shed: Map<number, boolean>;
  pvKW: number;
}

export class FakeSite implements Actuators {
  readonly calls: string[] = [];
  readonly s: FakeState;

  constructor(
    readonly site: SiteFile,
    startMs: number,
  ) {
    this.s = {
      timeMs: startMs,
      meterUp: true,
      gridV: 230,
      gridHz: 50,
      pccKW: 10,
      breakerClosed: true,
      breakerTripped: false,
      breakerStuck: false,
      phaseDeg: null,
      islandV: 230,
      islandHz: 50,
      soc: 0.6,
      poolKW: 0,
      mode: 'self-consumption',
      tripped: new Set(),
      tierLoadKW: 2,
      shed: new Map(),
      pvKW: 0,
    };
  }

  get batteries(): string[] {
    return this.site.batteryPool?.inverters ?? [];
  }

  measure(): Measurements {
    const s = this.s;
    const islandLive = s.breakerClosed
      ? s.gridV > 0
      : s.mode === 'grid-forming' && s.tripped.size < this.batteries.length;
    const tiers = [...new Set(this.site.members.map((m) => m.priorityTier))].sort();
    return {
      timeMs: s.timeMs,
      pcc: {
        quality: s.meterUp ? 'good' : 'unknown',
        voltageV: s.meterUp ? s.gridV : null,
        frequencyHz: s.meterUp ? s.gridHz : null,
        powerKW: s.meterUp ? (s.breakerClosed ? s.pccKW : 0) : null,
        breakerClosed: s.breakerClosed,
        breakerTripped: s.breakerTripped,
        phaseDifferenceDeg: s.breakerClosed ? null : s.phaseDeg,
      },
      island: { voltageV: islandLive ? s.islandV : 0, frequencyHz: islandLive ? s.islandHz : 0 },
      pool: {
        socFraction: s.soc,
        powerKW: s.poolKW,
        batteries: this.batteries.map((id) => {
          const d = this.site.devices.find((x) => x.id === id);
          return {
            id,
            ratedKW: d?.ratedKW ?? 0,
            capacityKWh: d?.capacityKWh ?? 0,
            socFraction: s.soc,
            powerKW: s.poolKW / this.batteries.length,
            mode: s.tripped.has(id) ? 'standby' : s.mode,
            available: !s.tripped.has(id),
          };
        }),
      },
      pv: { powerKW: s.pvKW, availableKW: s.pvKW },
      tiers: tiers.map((tier) => ({
        tier,
        loadKW: s.shed.get(tier) ? 0 : s.tierLoadKW,
        shed: s.shed.get(tier) ?? false,
      })),
    };
  }

  /** Moves time on by `seconds`, one second per tick of `tick`. */
  async run(seconds: number, tick: (m: Measurements) => Promise<void>): Promise<void> {
    for (let i = 0; i < seconds; i++) {
      this.s.timeMs += 1000;
      await tick(this.measure());
    }
  }

  async openBreaker(): Promise<ActuatorResult> {
    this.calls.push('open');
    if (this.s.breakerStuck) return failed('mechanism stuck');
    this.s.breakerClosed = false;
    return done;
  }

  async closeBreaker(): Promise<ActuatorResult> {
    this.calls.push('close');
    if (this.s.breakerStuck) return failed('mechanism stuck');
    this.s.breakerClosed = true;
    return done;
  }

  async setBatteryMode(mode: BatteryMode): Promise<ActuatorResult> {
    this.calls.push(`mode ${mode}`);
    this.s.mode = mode;
    return done;
  }

  async setBatterySetpoint(powerKW: number): Promise<ActuatorResult> {
    this.calls.push(`setpoint ${powerKW.toFixed(1)}`);
    return done;
  }

  async setPvLimit(fraction: number): Promise<ActuatorResult> {
    this.calls.push(`pv ${fraction.toFixed(2)}`);
    return done;
  }

  async setTierShed(tier: number, shed: boolean): Promise<ActuatorResult> {
    this.calls.push(`${shed ? 'shed' : 'restore'} ${tier}`);
    this.s.shed.set(tier, shed);
    return done;
  }
}
