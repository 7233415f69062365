// The physics of a simulated community microgrid, stepped in seconds: PV from the sun and the
// weather, member loads from their profiles, the battery pool with efficiency and power limits,
// radial line flows and the exchange at the PCC. Pure arithmetic on plain state; the Modbus
// images of the devices are made from this state elsewhere (device-images.ts).
import type { SiteFile } from '../../shared/site/schema.ts';
import { buildRadialTree, branchFlows, type RadialTree } from '../../shared/site/topology.ts';
import { LocalClock } from '../../shared/time/zone.ts';
import { clearSkyGhi, solarElevationDeg } from './sun.ts';
import { profilePowerKW } from './load-profiles.ts';
import { smoothNoise } from './noise.ts';

export type Weather = 'clear' | 'cloudy' | 'storm';

/** How the battery pool's inverters run. */
export type BatteryMode =
  /** Grid-connected: cover the site's deficit and store its surplus, as the inverter does on its own. */
  | 'self-consumption'
  /** Follow a commanded power setpoint (positive discharges). */
  | 'setpoint'
  /** Islanded: form voltage and frequency and balance the island. */
  | 'grid-forming'
  | 'standby';

export interface MemberState {
  loadKW: number;
  pvKW: number;
  /** Net power at the member's meter, positive when importing from the network. */
  netKW: number;
  importWh: number;
  exportWh: number;
  shed: boolean;
}

export interface BatteryState {
  capacityKWh: number;
  ratedKW: number;
  socFraction: number;
  /** AC power, positive when discharging into the network. */
  powerKW: number;
  setpointKW: number;
  mode: BatteryMode;
  tripped: boolean;
  chargedWh: number;
  dischargedWh: number;
}

export interface PhysicsState {
  timeMs: number;
  weather: Weather;
  gridAvailable: boolean;
  gridVoltageV: number;
  gridFrequencyHz: number;
  breakerClosed: boolean;
  breakerTripped: boolean;
  breakerOperations: number;
  /** The island (or the whole site) has no source: every load is unserved. */
  blackout: boolean;
  /** Fraction of PV output allowed (1 = none curtailed). */
  pvLimitFraction: number;
  busVoltageV: Map<string, number>;
  frequencyHz: number;
  /** Power exchanged at the PCC, positive when importing from the grid. */
  pccPowerKW: number;
  pccImportWh: number;
  pccExportWh: number;
  branchFlowKW: Map<string, number>;
  members: Map<string, MemberState>;
  batteries: Map<string, BatteryState>;
  unservedWh: Map<string, number>;
}

export const SOC_MIN = 0.05;
export const SOC_MAX = 0.98;
const ONE_WAY_EFFICIENCY = 0.95;
const SELF_CONSUMPTION_LAG_S = 20;
/** Grid-connected, the pool does not discharge below this: the rest is kept for islanding. */
export const GRID_CONNECTED_RESERVE = 0.3;
/** Volts lost per kW per metre of line: a rough figure for 95 mm² aluminium at 400 V. */
const VOLTS_PER_KW_METRE = 0.0004;

export interface PhysicsOptions {
  seed?: number;
  weather?: Weather;
  initialSoC?: number;
}

export class SitePhysics {
  readonly state: PhysicsState;
  private readonly tree: RadialTree;
  private readonly clock: LocalClock;
  private readonly seed: number;
  private readonly memberBus = new Map<string, string>();
  private readonly batteryBus = new Map<string, string>();

  constructor(
    readonly site: SiteFile,
    startMs: number,
    options: PhysicsOptions = {},
  ) {
    this.tree = buildRadialTree(site.topology).tree;
    this.clock = new LocalClock(site.site.timezone);
    this.seed = options.seed ?? 1;
    const members = new Map<string, MemberState>();
    for (const m of site.members) {
      members.set(m.id, { loadKW: 0, pvKW: 0, netKW: 0, importWh: 0, exportWh: 0, shed: false });
      this.memberBus.set(m.id, m.bus);
    }
    const batteries = new Map<string, BatteryState>();
    for (const ref of site.batteryPool?.inverters ?? []) {
      const device = site.devices.find((d) => d.id === ref);
      if (!device) continue;
      batteries.set(ref, {
        capacityKWh: device.capacityKWh ?? 0,
        ratedKW: device.ratedKW ?? 0,
        socFraction: options.initialSoC ?? 0.6,
        powerKW: 0,
        setpointKW: 0,
        mode: site.grid.kind === 'off-grid' ? 'grid-forming' : 'self-consumption',
        tripped: false,
        chargedWh: 0,
        dischargedWh: 0,
      });
      this.batteryBus.set(ref, device.bus ?? site.topology.root);
    }
    const connected = site.grid.kind === 'connected';
    this.state = {
      timeMs: startMs,
      weather: options.weather ?? 'clear',
      gridAvailable: connected,
      gridVoltageV: connected ? site.site.nominalVoltageV : 0,
      gridFrequencyHz: connected ? site.site.nominalFrequencyHz : 0,
      breakerClosed: connected,
      breakerTripped: false,
      breakerOperations: 0,
      blackout: false,
      pvLimitFraction: 1,
      busVoltageV: new Map(),
      frequencyHz: site.site.nominalFrequencyHz,
      pccPowerKW: 0,
      pccImportWh: 0,
      pccExportWh: 0,
      branchFlowKW: new Map(),
      members,
      batteries,
      unservedWh: new Map(site.members.map((m) => [m.id, 0])),
    };
    this.step(0);
  }

  /** True when the site's buses are fed from the grid through a closed breaker. */
  get gridConnected(): boolean {
    return this.state.breakerClosed && this.state.gridAvailable;
  }

  /** Advances the physics by `dtSeconds` (0 recomputes the present instant). */
  step(dtSeconds: number): void {
    const s = this.state;
    s.timeMs += dtSeconds * 1000;
    const t = s.timeMs / 1000;
    const hour = this.clock.hourOfDay(s.timeMs);
    const sunFraction = this.sunFraction(t);

    let netLoadKW = 0;
    let servableLoadKW = 0;
    let pvAvailableKW = 0;
    const injection = new Map<string, number>();
    this.site.members.forEach((member, index) => {
      const m = s.members.get(member.id) as MemberState;
      const variation = 1 + 0.25 * smoothNoise(this.seed * 1000 + index, t / 420);
      // Kettles, pumps and tools: short bursts that make each meter look alive.
      const burst =
        smoothNoise(this.seed * 7000 + index, t / 45) > 0.82 ? 0.8 + member.annualConsumptionKWh / 4000 : 0;
      const load = Math.max(
        0,
        profilePowerKW(member.profile, member.annualConsumptionKWh, hour) * variation + burst,
      );
      m.loadKW = m.shed ? 0 : load;
      m.pvKW = member.pvKWp * sunFraction;
      servableLoadKW += m.loadKW;
      pvAvailableKW += m.pvKW;
    });

    // The island curtails PV when the pool cannot take it (battery inverters shift frequency and
    // PV inverters follow); grid-connected PV runs free unless the operator limits it.
    const islanded = !this.gridConnected;
    const batteries = [...s.batteries.values()].filter((b) => !b.tripped);
    const chargeRoomKW = batteries.reduce((sum, b) => sum + (b.socFraction < SOC_MAX ? b.ratedKW : 0), 0);
    let pvLimit = s.pvLimitFraction;
    if (islanded && pvAvailableKW > 0) {
      const surplus = pvAvailableKW - servableLoadKW;
      if (surplus > chargeRoomKW)
        pvLimit = Math.min(pvLimit, (servableLoadKW + chargeRoomKW) / pvAvailableKW);
    }
    this.site.members.forEach((member) => {
      const m = s.members.get(member.id) as MemberState;
      m.pvKW *= pvLimit;
      m.netKW = m.loadKW - m.pvKW;
      netLoadKW += m.netKW;
    });

    // Battery pool dispatch: shared equally across the healthy inverters.
    const formingAvailable = batteries.some((b) => b.mode === 'grid-forming' && b.socFraction > SOC_MIN);
    let batteryTotalKW = 0;
    for (const b of batteries) {
      let want = 0;
      if (islanded)
        want =
          b.mode === 'grid-forming'
            ? netLoadKW / Math.max(1, batteries.filter((x) => x.mode === 'grid-forming').length)
            : 0;
      else if (b.mode === 'self-consumption') {
        // The inverter follows the site's net load with a lag (its own metering and ramp) and keeps
        // the islanding reserve: the PCC sees the residual, as it does on a real site.
        const target = netLoadKW / batteries.length;
        const alpha = dtSeconds > 0 ? 1 - Math.exp(-dtSeconds / SELF_CONSUMPTION_LAG_S) : 0;
        want = b.powerKW + (target - b.powerKW) * alpha;
        if (want > 0 && b.socFraction <= GRID_CONNECTED_RESERVE) want = 0;
      } else if (b.mode === 'setpoint') want = b.setpointKW;
      b.powerKW = this.limitBattery(b, want);
      batteryTotalKW += b.powerKW;
    }
    for (const b of s.batteries.values()) if (b.tripped) b.powerKW = 0;

    // An island without a grid-forming source, or one whose source cannot carry the load, is dark.
    const shortfallKW = islanded ? netLoadKW - batteryTotalKW : 0;
    s.blackout = islanded && (!formingAvailable || shortfallKW > 0.5);
    if (s.blackout) {
      for (const b of s.batteries.values()) b.powerKW = 0;
      batteryTotalKW = 0;
      for (const m of s.members.values()) {
        m.netKW = 0;
        m.pvKW = 0;
      }
    }

    // Energy counters and unserved energy.
    const hours = dtSeconds / 3600;
    for (const member of this.site.members) {
      const m = s.members.get(member.id) as MemberState;
      if (s.blackout) {
        s.unservedWh.set(member.id, (s.unservedWh.get(member.id) ?? 0) + m.loadKW * hours * 1000);
        m.loadKW = 0;
      }
      if (m.netKW >= 0) m.importWh += m.netKW * hours * 1000;
      else m.exportWh += -m.netKW * hours * 1000;
      const bus = this.memberBus.get(member.id) as string;
      injection.set(bus, (injection.get(bus) ?? 0) - m.netKW);
    }
    for (const [id, b] of s.batteries) {
      const bus = this.batteryBus.get(id) as string;
      injection.set(bus, (injection.get(bus) ?? 0) + b.powerKW);
      if (b.powerKW >= 0) {
        b.dischargedWh += b.powerKW * hours * 1000;
        b.socFraction -= (b.powerKW * hours) / ONE_WAY_EFFICIENCY / Math.max(1e-9, b.capacityKWh);
      } else {
        b.chargedWh += -b.powerKW * hours * 1000;
        b.socFraction += (-b.powerKW * hours * ONE_WAY_EFFICIENCY) / Math.max(1e-9, b.capacityKWh);
      }
      b.socFraction = Math.min(1, Math.max(0, b.socFraction));
    }

    s.pccPowerKW = this.gridConnected ? netLoadKW - batteryTotalKW : 0;
    if (s.pccPowerKW >= 0) s.pccImportWh += s.pccPowerKW * hours * 1000;
    else s.pccExportWh += -s.pccPowerKW * hours * 1000;
    injection.set(this.tree.root, (injection.get(this.tree.root) ?? 0) + s.pccPowerKW);
    s.branchFlowKW = branchFlows(this.tree, injection);

    this.updateGridSignals(t);
    this.updateVoltages();
  }

  private sunFraction(t: number): number {
    const elevation = solarElevationDeg(this.state.timeMs, this.site.site.latitude, this.site.site.longitude);
    const ghi = clearSkyGhi(elevation);
    const weather = this.state.weather;
    const base = weather === 'clear' ? 0.97 : weather === 'cloudy' ? 0.38 : 0.12;
    const swing = weather === 'clear' ? 0.03 : weather === 'cloudy' ? 0.25 : 0.08;
    const clearness = Math.max(0.02, base + swing * smoothNoise(this.seed * 31 + 5, t / 240));
    // 0.82: inverter, wiring, soiling and temperature losses of a typical small system.
    return (ghi / 1000) * clearness * 0.82;
  }

  private limitBattery(b: BatteryState, wantKW: number): number {
    let p = Math.max(-b.ratedKW, Math.min(b.ratedKW, wantKW));
    if (p > 0 && b.socFraction <= SOC_MIN) p = 0;
    if (p < 0 && b.socFraction >= SOC_MAX) p = 0;
    return p;
  }

  private updateGridSignals(t: number): void {
    const s = this.state;
    const nominalV = this.site.site.nominalVoltageV;
    const nominalHz = this.site.site.nominalFrequencyHz;
    if (s.gridAvailable) {
      s.gridVoltageV = nominalV * (1.01 + 0.008 * smoothNoise(this.seed * 97, t / 30));
      s.gridFrequencyHz = nominalHz + 0.03 * smoothNoise(this.seed * 89, t / 20);
    } else {
      s.gridVoltageV = 0;
      s.gridFrequencyHz = 0;
    }
    if (this.gridConnected) s.frequencyHz = s.gridFrequencyHz;
    else if (s.blackout) s.frequencyHz = 0;
    else {
      // Droop: the forming inverters run a little above nominal when lightly loaded.
      const rated = [...s.batteries.values()].reduce((sum, b) => sum + (b.tripped ? 0 : b.ratedKW), 0);
      const loading =
        rated > 0 ? [...s.batteries.values()].reduce((sum, b) => sum + b.powerKW, 0) / rated : 0;
      s.frequencyHz = nominalHz + 0.2 * (0.5 - loading) * 0.2 + 0.01 * smoothNoise(this.seed * 83, t / 15);
    }
  }

  private updateVoltages(): void {
    const s = this.state;
    const source = this.gridConnected ? s.gridVoltageV : s.blackout ? 0 : this.site.site.nominalVoltageV;
    s.busVoltageV.set(this.tree.root, source);
    for (const bus of this.tree.order) {
      const branch = this.tree.parentBranch.get(bus);
      if (!branch) continue;
      const upstream = s.busVoltageV.get(branch.from) ?? source;
      const flow = s.branchFlowKW.get(branch.id) ?? 0;
      s.busVoltageV.set(bus, source === 0 ? 0 : upstream - flow * (branch.lengthM ?? 0) * VOLTS_PER_KW_METRE);
    }
  }

  // Commands the field devices accept (through their Modbus registers).
  setBreaker(closed: boolean): void {
    const s = this.state;
    if (s.breakerClosed !== closed) s.breakerOperations++;
    s.breakerClosed = closed;
    if (closed) s.breakerTripped = false;
  }

  setGridAvailable(available: boolean): void {
    this.state.gridAvailable = available && this.site.grid.kind === 'connected';
  }
}
