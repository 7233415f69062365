// The controller on the simulator's physics directly, for the scenario runner: measurements read
// from the physics state as the field devices would report them, and commands applied as the
// devices would apply them — a stuck breaker does not move, a tripped inverter ignores orders,
// a device marked offline neither answers nor obeys.
import type { BatteryMode } from '../../shared/api/control-api.ts';
import type { SitePhysics } from './site-physics.ts';
import { done, failed, type ActuatorResult, type Actuators } from '../control/actuators.ts';
import type { Measurements, TierMeasurement } from '../control/measurements.ts';

export interface PhysicsAdapterOptions {
  /** Devices that do not answer (a meter with a cut cable, an inverter off the bus). */
  offline?: Set<string>;
  /** The interlock asked before the breaker closes (the controller's sync check). */
  canClosePcc?: () => { ok: boolean; reason: string };
}

export class PhysicsAdapter implements Actuators {
  readonly offline: Set<string>;
  private readonly tiers: Array<{ tier: number; members: string[]; relays: string[] }>;
  private readonly pccMeter: string | null;
  private readonly breaker: string | null;

  constructor(
    private readonly physics: SitePhysics,
    private readonly options: PhysicsAdapterOptions = {},
  ) {
    this.offline = options.offline ?? new Set();
    const site = physics.site;
    const byTier = new Map<number, string[]>();
    for (const m of site.members) byTier.set(m.priorityTier, [...(byTier.get(m.priorityTier) ?? []), m.id]);
    // A tier is switched by the relay controllers of its members; a site without relays in its
    // file still has one per tier in the simulation, named relay-tier-N for fault injection.
    this.tiers = [...byTier.entries()]
      .sort((a, b) => a[0] - b[0])
      .map(([tier, members]) => {
        const fitted = site.members
          .filter((m) => m.priorityTier === tier && m.shedRelay)
          .map((m) => m.shedRelay as string);
        return { tier, members, relays: fitted.length > 0 ? [...new Set(fitted)] : [`relay-tier-${tier}`] };
      });
    this.pccMeter = site.grid.kind === 'connected' ? site.grid.pcc.meter : null;
    this.breaker = site.grid.kind === 'connected' ? site.grid.pcc.breaker : null;
  }

  measure(): Measurements {
    const s = this.physics.state;
    const site = this.physics.site;
    const meterUp = this.pccMeter !== null && !this.offline.has(this.pccMeter);
    const breakerUp = this.breaker !== null && !this.offline.has(this.breaker);
    const acrossOpenBreaker = !s.breakerClosed && s.gridAvailable && !s.blackout;
    let stored = 0;
    let capacity = 0;
    let poolKW = 0;
    let socKnown = true;
    const batteries = [...s.batteries.entries()].map(([id, b]) => {
      const up = !this.offline.has(id);
      if (up) {
        stored += b.socFraction * b.capacityKWh;
        capacity += b.capacityKWh;
        poolKW += b.powerKW;
      } else socKnown = false;
      return {
        id,
        ratedKW: b.ratedKW,
        capacityKWh: b.capacityKWh,
        socFraction: up ? b.socFraction : null,
        powerKW: up ? b.powerKW : null,
        mode: up ? b.mode : null,
        available: up ? !b.tripped : false,
      };
    });
    let pvKW = 0;
    for (const m of s.members.values()) pvKW += m.pvKW;
    const tiers: TierMeasurement[] = this.tiers.map(({ tier, members, relays }) => {
      let load = 0;
      let shed: boolean | null = null;
      const relaysUp = relays.every((r) => !this.offline.has(r));
      for (const id of members) {
        const m = s.members.get(id);
        if (!m) continue;
        load += m.loadKW;
        shed = m.shed;
      }
      return { tier, loadKW: load, shed: relaysUp ? shed : null };
    });
    return {
      timeMs: s.timeMs,
      pcc:
        site.grid.kind === 'connected'
          ? {
              quality: meterUp ? 'good' : 'unknown',
              voltageV: meterUp ? s.gridVoltageV : null,
              frequencyHz: meterUp ? (s.gridAvailable ? s.gridFrequencyHz : 0) : null,
              powerKW: meterUp ? s.pccPowerKW : null,
              breakerClosed: breakerUp ? s.breakerClosed : null,
              breakerTripped: breakerUp ? s.breakerTripped : null,
              phaseDifferenceDeg: meterUp && acrossOpenBreaker ? s.syncPhaseDeg : null,
            }
          : null,
      island: {
        voltageV: s.busVoltageV.get(site.topology.root) ?? null,
        frequencyHz: s.blackout ? 0 : s.frequencyHz,
      },
      pool: {
        socFraction: socKnown && capacity > 0 ? stored / capacity : null,
        powerKW: poolKW,
        batteries,
      },
      pv: { powerKW: pvKW, availableKW: s.pvAvailableKW },
      tiers,
    };
  }

  async openBreaker(): Promise<ActuatorResult> {
    return this.moveBreaker(false);
  }

  async closeBreaker(): Promise<ActuatorResult> {
    const interlock = this.options.canClosePcc?.();
    if (interlock && !interlock.ok) return failed(`interlock: ${interlock.reason}`);
    return this.moveBreaker(true);
  }

  async setBatteryMode(mode: BatteryMode, _reason: string, inverter?: string): Promise<ActuatorResult> {
    const targets = [...this.physics.state.batteries.entries()].filter(
      ([id]) => inverter === undefined || id === inverter,
    );
    if (targets.length === 0) return failed(`no battery inverter ${inverter ?? ''}`.trim());
    const refused: string[] = [];
    for (const [id, b] of targets) {
      if (this.offline.has(id)) refused.push(`${id} not answering`);
      else if (b.tripped) refused.push(`${id} tripped`);
      else this.physics.setBatteryMode(mode, id);
    }
    if (refused.length === targets.length) return failed(refused.join('; '));
    return done;
  }

  async setBatterySetpoint(powerKW: number): Promise<ActuatorResult> {
    const ready = [...this.physics.state.batteries.entries()].filter(
      ([id, b]) => !b.tripped && !this.offline.has(id),
    );
    if (ready.length === 0) return failed('no battery inverter available');
    const rated = ready.reduce((sum, [, b]) => sum + b.ratedKW, 0);
    for (const [id, b] of ready) this.physics.setBatterySetpoint((powerKW * b.ratedKW) / rated, id);
    return done;
  }

  async setPvLimit(fraction: number): Promise<ActuatorResult> {
    this.physics.setPvLimit(fraction);
    return done;
  }

  async setTierShed(tier: number, shed: boolean): Promise<ActuatorResult> {
    const entry = this.tiers.find((t) => t.tier === tier);
    if (!entry) return failed(`no members in tier ${tier}`);
    const silent = entry.relays.filter((r) => this.offline.has(r));
    if (silent.length > 0) return failed(`${silent.join(', ')} not answering`);
    this.physics.setTierShed(tier, shed);
    return done;
  }

  private moveBreaker(closed: boolean): ActuatorResult {
    if (!this.breaker) return failed('the site has no PCC breaker');
    if (this.offline.has(this.breaker)) return failed(`${this.breaker} not answering`);
    return this.physics.setBreaker(closed)
      ? done
      : failed(`${this.breaker} did not ${closed ? 'close' : 'open'} (mechanism stuck)`);
  }
}
