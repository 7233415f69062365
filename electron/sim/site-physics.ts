// The physics of a simulated community microgrid, stepped in seconds: PV from the sun and the
// weather, member loads from their profiles, the battery pool with efficiency and power limits,
// radial line flows and the exchange at the PCC. Islanding is modelled as far as the microgrid
// controller needs it: grid loss and return (with the phase drifting across the open breaker),
// a breaker that can stick, battery inverters that trip or collapse on overload, shed relays,
// PV curtailment, cold-load pickup and black start. Pure arithmetic on plain state; the Modbus
// images of the devices are made from this state elsewhere (device-images.ts).
import { profilePowerKW } from '../../shared/site/load-profiles.ts';
import type { SiteFile } from '../../shared/site/schema.ts';
import { buildRadialTree, branchFlows, type RadialTree } from '../../shared/site/topology.ts';
import { LocalClock } from '../../shared/time/zone.ts';
import { clearSkyGhi, solarElevationDeg } from './sun.ts';
import { seededRandom, smoothNoise } from './noise.ts';

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
  /** The member's shed relay is open: neither its load nor its PV is connected. */
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
  /** The breaker's mechanism is stuck: commands to open or close it do nothing. */
  breakerStuck: boolean;
  /** The island (or the whole site) has no source: every load is unserved. */
  blackout: boolean;
  /** Fraction of PV output allowed (1 = none curtailed). */
  pvLimitFraction: number;
  /** PV the sun would give right now before any curtailment or shedding, kW. */
  pvAvailableKW: number;
  busVoltageV: Map<string, number>;
  frequencyHz: number;
  /** Phase of the island's voltage minus the grid's across the open PCC breaker, degrees (−180, 180]. */
  syncPhaseDeg: number;
  /** A fault offset on the island's frequency (a drifting governor), Hz; 0 when healthy. */
  islandFrequencyDriftHz: number;
  /** Seconds the forming inverters have run above their rating without a break. */
  overloadSeconds: number;
  /** Power exchanged at the PCC, positive when importing from the grid. */
  pccPowerKW: number;
  pccImportWh: number;
  pccExportWh: number;
  branchFlowKW: Map<string, number>;
  members: Map<string, MemberState>;
  batteries: Map<string, BatteryState>;
  /** Energy members wanted and did not get because the site was dark, Wh. */
  unservedWh: Map<string, number>;
  /** Energy members wanted and did not get because their relay was open, Wh. */
  shedWh: Map<string, number>;
}

export const SOC_MIN = 0.05;
export const SOC_MAX = 0.98;
const ONE_WAY_EFFICIENCY = 0.95;
const SELF_CONSUMPTION_LAG_S = 20;
/** Grid-connected, the pool does not discharge below this: the rest is kept for islanding. */
export const GRID_CONNECTED_RESERVE = 0.3;
/** Volts lost per kW per metre of line: a rough figure for 95 mm² aluminium at 400 V. */
const VOLTS_PER_KW_METRE = 0.0004;
/** Forming inverters carry this multiple of their rating for OVERLOAD_SECONDS before they trip
 *  (short-time overload of island inverters of the Sunny Island class). */
export const OVERLOAD_FACTOR = 1.5;
export const OVERLOAD_SECONDS = 5;
/** Cold-load pickup: after a long outage thermostats and pumps all start at once. The extra load
 *  reaches COLD_LOAD_EXTRA after COLD_LOAD_OFF_SECONDS dark and decays over COLD_LOAD_DECAY_SECONDS. */
const COLD_LOAD_EXTRA = 0.8;
const COLD_LOAD_OFF_SECONDS = 600;
const COLD_LOAD_DECAY_SECONDS = 120;
/** The forming inverters' synchroniser: slip in Hz per degree of phase error, and its limit. */
const SYNC_GAIN_HZ_PER_DEG = 0.15 / 360;
const SYNC_MAX_SLIP_HZ = 0.1;

export interface PhysicsOptions {
  seed?: number;
  weather?: Weather;
  initialSoC?: number;
}

export interface GridCondition {
  /** Grid voltage as a fraction of nominal (1.01 by default: a little high, as rural lines run). */
  voltagePu?: number;
  /** Offset of the grid's frequency from nominal, Hz. */
  frequencyOffsetHz?: number;
}

export class SitePhysics {
  readonly state: PhysicsState;
  private readonly tree: RadialTree;
  private readonly clock: LocalClock;
  private readonly seed: number;
  private readonly random: () => number;
  private readonly memberBus = new Map<string, string>();
  private readonly batteryBus = new Map<string, string>();
  private readonly connectedSite: boolean;
  private gridVoltagePu = 1.01;
  private gridFrequencyOffsetHz = 0;
  // Per member, in site order: seconds dark (or shed), cold-load extra and seconds since pickup.
  private readonly offSeconds: Float64Array;
  private readonly coldExtra: Float64Array;
  private readonly pickupSeconds: Float64Array;

  constructor(
    readonly site: SiteFile,
    startMs: number,
    options: PhysicsOptions = {},
  ) {
    this.tree = buildRadialTree(site.topology).tree;
    this.clock = new LocalClock(site.site.timezone);
    this.seed = options.seed ?? 1;
    this.random = seededRandom(this.seed * 7919 + 17);
    this.connectedSite = site.grid.kind === 'connected';
    const members = new Map<string, MemberState>();
    for (const m of site.members) {
      members.set(m.id, { loadKW: 0, pvKW: 0, netKW: 0, importWh: 0, exportWh: 0, shed: false });
      this.memberBus.set(m.id, m.bus);
    }
    this.offSeconds = new Float64Array(site.members.length);
    this.coldExtra = new Float64Array(site.members.length);
    this.pickupSeconds = new Float64Array(site.members.length).fill(COLD_LOAD_DECAY_SECONDS);
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
    const connected = this.connectedSite;
    this.state = {
      timeMs: startMs,
      weather: options.weather ?? 'clear',
      gridAvailable: connected,
      gridVoltageV: connected ? site.site.nominalVoltageV : 0,
      gridFrequencyHz: connected ? site.site.nominalFrequencyHz : 0,
      breakerClosed: connected,
      breakerTripped: false,
      breakerOperations: 0,
      breakerStuck: false,
      blackout: false,
      pvLimitFraction: 1,
      pvAvailableKW: 0,
      busVoltageV: new Map(),
      frequencyHz: site.site.nominalFrequencyHz,
      syncPhaseDeg: 0,
      islandFrequencyDriftHz: 0,
      overloadSeconds: 0,
      pccPowerKW: 0,
      pccImportWh: 0,
      pccExportWh: 0,
      branchFlowKW: new Map(),
      members,
      batteries,
      unservedWh: new Map(site.members.map((m) => [m.id, 0])),
      shedWh: new Map(site.members.map((m) => [m.id, 0])),
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
    let pvConnectedKW = 0;
    const injection = new Map<string, number>();
    const wantedKW = new Float64Array(this.site.members.length);
    this.site.members.forEach((member, index) => {
      const m = s.members.get(member.id) as MemberState;
      const variation = 1 + 0.25 * smoothNoise(this.seed * 1000 + index, t / 420);
      // Kettles, pumps and tools: short bursts that make each meter look alive.
      const burst =
        smoothNoise(this.seed * 7000 + index, t / 45) > 0.82 ? 0.8 + member.annualConsumptionKWh / 4000 : 0;
      const pickup = this.pickupSeconds[index] as number;
      const cold =
        pickup < COLD_LOAD_DECAY_SECONDS
          ? (this.coldExtra[index] as number) * (1 - pickup / COLD_LOAD_DECAY_SECONDS)
          : 0;
      const load = Math.max(
        0,
        profilePowerKW(member.profile, member.annualConsumptionKWh, hour) * variation + burst,
      );
      wantedKW[index] = load * (1 + cold);
      m.loadKW = m.shed ? 0 : (wantedKW[index] as number);
      const pv = member.pvKWp * sunFraction;
      pvAvailableKW += pv;
      m.pvKW = m.shed ? 0 : pv;
      servableLoadKW += m.loadKW;
      pvConnectedKW += m.pvKW;
    });
    s.pvAvailableKW = pvAvailableKW;

    // The island curtails PV when the pool cannot take it (battery inverters shift frequency and
    // PV inverters follow); grid-connected PV runs free unless the operator limits it.
    const islanded = !this.gridConnected;
    // A closed breaker onto a dead grid: inverters must not energise the utility's lines
    // (anti-islanding), and could not carry its load if they tried.
    const tiedToDeadGrid = this.connectedSite && s.breakerClosed && !s.gridAvailable;
    const batteries = [...s.batteries.values()].filter((b) => !b.tripped);
    const forming = batteries.filter((b) => b.mode === 'grid-forming');
    const chargeRoomKW = forming.reduce((sum, b) => sum + (b.socFraction < SOC_MAX ? b.ratedKW : 0), 0);
    let pvLimit = s.pvLimitFraction;
    if (islanded && pvConnectedKW > 0) {
      const surplus = pvConnectedKW * pvLimit - servableLoadKW;
      if (surplus > chargeRoomKW)
        pvLimit = Math.min(pvLimit, Math.max(0, servableLoadKW + chargeRoomKW) / pvConnectedKW);
    }
    this.site.members.forEach((member) => {
      const m = s.members.get(member.id) as MemberState;
      m.pvKW *= pvLimit;
      m.netKW = m.loadKW - m.pvKW;
      netLoadKW += m.netKW;
    });

    // Battery pool dispatch: grid-connected each inverter follows its own mode; islanded the
    // forming inverters share what the others leave, equally.
    let batteryTotalKW = 0;
    let followersKW = 0;
    for (const b of batteries) {
      if (b.mode === 'grid-forming') continue;
      let want = 0;
      if (b.mode === 'setpoint') want = b.setpointKW;
      else if (b.mode === 'self-consumption' && !islanded) {
        // The inverter follows the site's net load with a lag (its own metering and ramp) and keeps
        // the islanding reserve: the PCC sees the residual, as it does on a real site.
        const target = netLoadKW / batteries.length;
        const alpha = dtSeconds > 0 ? 1 - Math.exp(-dtSeconds / SELF_CONSUMPTION_LAG_S) : 0;
        want = b.powerKW + (target - b.powerKW) * alpha;
        if (want > 0 && b.socFraction <= GRID_CONNECTED_RESERVE) want = 0;
      }
      if (islanded && tiedToDeadGrid) want = 0;
      b.powerKW = this.limitBattery(b, want, 1);
      followersKW += b.powerKW;
    }
    batteryTotalKW += followersKW;
    let overloaded = false;
    for (const b of forming) {
      // Paralleled with the grid a forming inverter holds zero: the grid sets the voltage.
      const want = islanded && !tiedToDeadGrid ? (netLoadKW - followersKW) / forming.length : 0;
      b.powerKW = this.limitBattery(b, want, OVERLOAD_FACTOR);
      if (b.powerKW > b.ratedKW + 1e-9) overloaded = true;
      batteryTotalKW += b.powerKW;
    }
    for (const b of s.batteries.values()) if (b.tripped) b.powerKW = 0;
    s.overloadSeconds = islanded && overloaded ? s.overloadSeconds + dtSeconds : 0;

    // An island without a forming source, or one whose source cannot carry the load, goes dark;
    // the forming inverters shut down and stay down until they are told to form again (black start).
    const shortfallKW = islanded ? netLoadKW - batteryTotalKW : 0;
    s.blackout =
      islanded &&
      (tiedToDeadGrid || forming.length === 0 || shortfallKW > 0.5 || s.overloadSeconds > OVERLOAD_SECONDS);
    if (s.blackout) {
      for (const b of forming) b.mode = 'standby';
      s.overloadSeconds = 0;
      for (const b of s.batteries.values()) b.powerKW = 0;
      batteryTotalKW = 0;
      for (const m of s.members.values()) {
        m.netKW = 0;
        m.pvKW = 0;
      }
    }

    // Energy counters, unserved and shed energy, and cold-load state.
    const hours = dtSeconds / 3600;
    this.site.members.forEach((member, index) => {
      const m = s.members.get(member.id) as MemberState;
      const wanted = wantedKW[index] as number;
      if (m.shed) s.shedWh.set(member.id, (s.shedWh.get(member.id) ?? 0) + wanted * hours * 1000);
      else if (s.blackout) {
        s.unservedWh.set(member.id, (s.unservedWh.get(member.id) ?? 0) + wanted * hours * 1000);
        m.loadKW = 0;
      }
      const energised = !m.shed && !s.blackout;
      if (energised) {
        if ((this.offSeconds[index] as number) > 0) {
          this.coldExtra[index] =
            COLD_LOAD_EXTRA * Math.min(1, (this.offSeconds[index] as number) / COLD_LOAD_OFF_SECONDS);
          this.pickupSeconds[index] = 0;
          this.offSeconds[index] = 0;
        } else this.pickupSeconds[index] = (this.pickupSeconds[index] as number) + dtSeconds;
      } else this.offSeconds[index] = (this.offSeconds[index] as number) + dtSeconds;
      if (m.netKW >= 0) m.importWh += m.netKW * hours * 1000;
      else m.exportWh += -m.netKW * hours * 1000;
      const bus = this.memberBus.get(member.id) as string;
      injection.set(bus, (injection.get(bus) ?? 0) - m.netKW);
    });
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

    this.updateGridSignals(t, dtSeconds);
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

  private limitBattery(b: BatteryState, wantKW: number, overloadFactor: number): number {
    let p = Math.max(-b.ratedKW, Math.min(b.ratedKW * overloadFactor, wantKW));
    if (p > 0 && b.socFraction <= SOC_MIN) p = 0;
    if (p < 0 && b.socFraction >= SOC_MAX) p = 0;
    return p;
  }

  private updateGridSignals(t: number, dtSeconds: number): void {
    const s = this.state;
    const nominalV = this.site.site.nominalVoltageV;
    const nominalHz = this.site.site.nominalFrequencyHz;
    if (s.gridAvailable) {
      s.gridVoltageV = nominalV * (this.gridVoltagePu + 0.008 * smoothNoise(this.seed * 97, t / 30));
      s.gridFrequencyHz = nominalHz + this.gridFrequencyOffsetHz + 0.03 * smoothNoise(this.seed * 89, t / 20);
    } else {
      s.gridVoltageV = 0;
      s.gridFrequencyHz = 0;
    }
    if (this.gridConnected) {
      s.frequencyHz = s.gridFrequencyHz;
      s.syncPhaseDeg = 0;
      return;
    }
    if (s.blackout) {
      s.frequencyHz = 0;
      return;
    }
    if (this.connectedSite && s.gridAvailable) {
      // The forming inverters' synchroniser slips the island towards the grid's phase.
      const slip = Math.max(
        -SYNC_MAX_SLIP_HZ,
        Math.min(SYNC_MAX_SLIP_HZ, -s.syncPhaseDeg * SYNC_GAIN_HZ_PER_DEG),
      );
      s.frequencyHz = s.gridFrequencyHz + slip + s.islandFrequencyDriftHz;
      s.syncPhaseDeg = wrapDegrees(s.syncPhaseDeg + 360 * (s.frequencyHz - s.gridFrequencyHz) * dtSeconds);
      return;
    }
    // Droop: the forming inverters run a little above nominal when lightly loaded, and sag when
    // overloaded.
    const rated = [...s.batteries.values()].reduce((sum, b) => sum + (b.tripped ? 0 : b.ratedKW), 0);
    const loading = rated > 0 ? [...s.batteries.values()].reduce((sum, b) => sum + b.powerKW, 0) / rated : 0;
    s.frequencyHz =
      nominalHz +
      0.2 * (0.5 - loading) * 0.2 -
      (loading > 1 ? (loading - 1) * 2 : 0) +
      0.01 * smoothNoise(this.seed * 83, t / 15) +
      s.islandFrequencyDriftHz;
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

  // Commands the field devices accept (through their Modbus registers), and faults to inject.

  /** Commands the PCC breaker; false when it did not move (stuck) or the site has none. */
  setBreaker(closed: boolean): boolean {
    const s = this.state;
    if (!this.connectedSite) return false;
    if (s.breakerClosed === closed) return true;
    if (s.breakerStuck) return false;
    s.breakerOperations++;
    s.breakerClosed = closed;
    if (closed) s.breakerTripped = false;
    return true;
  }

  setBreakerStuck(stuck: boolean): void {
    this.state.breakerStuck = stuck;
  }

  setGridAvailable(available: boolean, condition: GridCondition = {}): void {
    const s = this.state;
    const next = available && this.connectedSite;
    // A returning grid is in no particular phase with the island.
    if (next && !s.gridAvailable) s.syncPhaseDeg = wrapDegrees((this.random() * 2 - 1) * 180);
    s.gridAvailable = next;
    this.gridVoltagePu = condition.voltagePu ?? 1.01;
    this.gridFrequencyOffsetHz = condition.frequencyOffsetHz ?? 0;
  }

  /** Sets one inverter's mode, or every inverter's when `id` is omitted. Tripped inverters ignore it. */
  setBatteryMode(mode: BatteryMode, id?: string): void {
    for (const [key, b] of this.state.batteries)
      if ((id === undefined || key === id) && !b.tripped) b.mode = mode;
  }

  setBatterySetpoint(powerKW: number, id: string): void {
    const b = this.state.batteries.get(id);
    if (b) b.setpointKW = powerKW;
  }

  /** An inverter fault: the inverter stops at once and ignores commands until reset. */
  tripBattery(id: string): void {
    const b = this.state.batteries.get(id);
    if (!b) return;
    b.tripped = true;
    b.powerKW = 0;
    b.mode = 'standby';
  }

  /** The fault is cleared: the inverter comes back in standby and waits to be told what to do. */
  resetBattery(id: string): void {
    const b = this.state.batteries.get(id);
    if (b) b.tripped = false;
  }

  setIslandFrequencyDrift(hz: number): void {
    this.state.islandFrequencyDriftHz = hz;
  }

  setPvLimit(fraction: number): void {
    this.state.pvLimitFraction = Math.min(1, Math.max(0, fraction));
  }

  setMemberShed(id: string, shed: boolean): void {
    const m = this.state.members.get(id);
    if (m) m.shed = shed;
  }

  /** Opens (shed) or closes the shed relays of every member in priority tier `tier`. */
  setTierShed(tier: number, shed: boolean): void {
    for (const member of this.site.members)
      if (member.priorityTier === tier) this.setMemberShed(member.id, shed);
  }
}

export function wrapDegrees(deg: number): number {
  const w = (((deg + 180) % 360) + 360) % 360;
  return w === 0 ? 180 : w - 180;
}
