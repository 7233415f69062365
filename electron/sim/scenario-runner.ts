// Runs a scenario on the site's physics in accelerated time with the same microgrid controller
// as the live console: each step applies the scenario's due events, steps the physics, lets the
// controller read and act, and counts what the KPIs need. `onSecond` and `onInterval` let other
// parts (the historian, settlement) ride along on every step or settlement interval.
import type { ControlTransition, CommandOutcome } from '../../shared/api/control-api.ts';
import type { IntervalEnergies } from '../../shared/settlement/interval-energy.ts';
import type { SiteFile } from '../../shared/site/schema.ts';
import { isoInZone } from '../../shared/time/zone.ts';
import type { ControlConfigOverrides } from '../control/control-config.ts';
import type { Measurements } from '../control/measurements.ts';
import { MicrogridController } from '../control/microgrid-controller.ts';
import { PhysicsAdapter } from './physics-adapter.ts';
import { commandOf, parseDurationMs, type Scenario, type ScenarioEvent } from './scenario.ts';
import { SitePhysics } from './site-physics.ts';
import { energiesBetween, readCounters } from './physics-energies.ts';

export interface ScenarioStep {
  timeMs: number;
  physics: SitePhysics;
  controller: MicrogridController;
  measurements: Measurements;
  /** Devices that do not answer now (faults of the scenario): they report nothing. */
  offline: ReadonlySet<string>;
}

export interface ScenarioRunOptions {
  site: SiteFile;
  scenario: Scenario;
  config?: ControlConfigOverrides;
  /** Called at the start and after every step, once the controller has acted. */
  onSecond?: (step: ScenarioStep) => void;
  /** Called at the end of every settlement interval (site market.intervalMinutes) with its energies. */
  onInterval?: (energies: IntervalEnergies) => void;
}

export interface ScenarioOutputEvent {
  at: string;
  type:
    | 'scenario'
    | 'command'
    | 'transition'
    | 'alarm'
    | 'shed'
    | 'restore'
    | 'breaker'
    | 'battery'
    | 'pv'
    | 'sync'
    | 'info';
  message: string;
  /** Commands: what the controller answered, and whether that was what the scenario expected. */
  outcome?: 'accepted' | 'refused' | 'failed';
  expected?: 'accepted' | 'refused';
  unexpected?: boolean;
}

export interface ScenarioKpis {
  /** Energy the essential loads (tier 0) wanted and did not get, dark or shed, kWh. */
  essentialUnservedKWh: number;
  /** Of that, energy lost in seconds when the pool held more than the essential floor band
   *  (floor + essential hysteresis): energy meant for them remained, kWh. */
  essentialUnservedWithEnergyKWh: number;
  essentialDarkSecondsWithEnergy: number;
  shedKWhByTier: Record<string, number>;
  unservedKWh: number;
  minSoC: number;
  islandedHours: number;
  blackoutHours: number;
  pccPowerKWAtOpen: number[];
  breakerOperations: number;
  relaySwitchingsByTier: Record<string, number>;
}

export interface ScenarioOutput {
  site: string;
  start: string;
  end: string;
  transitions: Array<{ at: string; from: string; to: string; reason: string }>;
  kpis: ScenarioKpis;
  events: ScenarioOutputEvent[];
}

export interface ScenarioResult {
  output: ScenarioOutput;
  controller: MicrogridController;
  physics: SitePhysics;
  transitions: ControlTransition[];
  /** Per tier, the times its relays switched (from the physics: what really happened). */
  relaySwitchMs: Map<number, number[]>;
  commandOutcomes: Array<{ atMs: number; event: ScenarioEvent; outcome: CommandOutcome }>;
  wallMs: number;
}

const ESSENTIAL_TIER = 0;

export async function runScenario(options: ScenarioRunOptions): Promise<ScenarioResult> {
  const wallStart = performance.now();
  const { site, scenario } = options;
  const zone = site.site.timezone;
  const startMs = Date.parse(scenario.start);
  const stepS = scenario.stepSeconds;
  const endMs = startMs + scenario.durationHours * 3_600_000;
  const physics = new SitePhysics(site, startMs, {
    seed: scenario.seed,
    weather: scenario.weather,
    initialSoC: scenario.initialSoC,
  });
  const out: ScenarioOutputEvent[] = [];
  const iso = (ms: number) => isoInZone(ms, zone);
  // eslint-disable-next-line prefer-const
  let controller: MicrogridController;
  const adapter = new PhysicsAdapter(physics, { canClosePcc: () => controller.canClosePcc() });
  controller = new MicrogridController({
    site,
    actuators: adapter,
    startMs,
    ...(options.config ? { config: options.config } : {}),
    onEvent: (e) => {
      if (e.kind !== 'command') out.push({ at: iso(e.atMs), type: e.kind, message: e.message });
    },
  });

  const pending = scenario.events
    .map((event, index) => ({ event, index, atMs: startMs + (parseDurationMs(event.at) ?? 0) }))
    .sort((a, b) => a.atMs - b.atMs || a.index - b.index);
  const commandOutcomes: ScenarioResult['commandOutcomes'] = [];

  const essential = site.members.filter((m) => m.priorityTier === ESSENTIAL_TIER).map((m) => m.id);
  const tierOf = new Map(site.members.map((m) => [m.id, m.priorityTier]));
  const tierFirst = new Map<number, string>();
  for (const m of site.members) if (!tierFirst.has(m.priorityTier)) tierFirst.set(m.priorityTier, m.id);
  const relaySwitchMs = new Map<number, number[]>([...tierFirst.keys()].map((t) => [t, []]));
  const lastShed = new Map<number, boolean>([...tierFirst.keys()].map((t) => [t, false]));
  // Above the essential tier's restore threshold the pool holds energy meant for the essential loads.
  // (half a percent of slack: the controller acts on the next tick after the threshold is crossed).
  const essentialBand =
    controller.config.shedding.floorSoC + controller.config.shedding.essentialHysteresis + 0.005;

  let minSoC = poolSoC(physics);
  let islandedS = 0;
  let blackoutS = 0;
  let essentialWithEnergyWh = 0;
  let essentialDarkWithEnergyS = 0;
  let essentialLostWh = essentialLost(physics, essential);

  const intervalMinutes = site.market.intervalMinutes;
  const intervalMs = intervalMinutes * 60_000;
  let intervalStart = Math.floor(startMs / intervalMs) * intervalMs;
  let counters = options.onInterval ? readCounters(physics) : null;
  let intervalComplete = intervalStart === startMs;

  const applyPhysical = (event: ScenarioEvent, atMs: number) => {
    out.push({ at: iso(atMs), type: 'scenario', message: describeEvent(event) });
    switch (event.type) {
      case 'grid-loss':
        if (event.kind === 'outage') physics.setGridAvailable(false);
        else
          physics.setGridAvailable(
            true,
            event.kind === 'undervoltage'
              ? { voltagePu: 0.7 }
              : event.kind === 'overvoltage'
                ? { voltagePu: 1.2 }
                : { frequencyOffsetHz: -1.5 },
          );
        break;
      case 'grid-restore':
        physics.setGridAvailable(true, {
          ...(event.voltagePu !== undefined ? { voltagePu: event.voltagePu } : {}),
          ...(event.frequencyOffsetHz !== undefined ? { frequencyOffsetHz: event.frequencyOffsetHz } : {}),
        });
        break;
      case 'device-fault':
        applyFault(physics, adapter, event);
        break;
      case 'weather':
        physics.state.weather = event.weather;
        break;
      case 'command':
        break;
    }
  };

  const first = adapter.measure();
  await controller.tick(first);
  options.onSecond?.({ timeMs: startMs, physics, controller, measurements: first, offline: adapter.offline });
  for (let timeMs = startMs + stepS * 1000; timeMs <= endMs; timeMs += stepS * 1000) {
    const due: typeof pending = [];
    while (pending.length > 0 && (pending[0] as (typeof pending)[number]).atMs <= timeMs)
      due.push(pending.shift() as (typeof pending)[number]);
    for (const d of due) if (d.event.type !== 'command') applyPhysical(d.event, d.atMs);

    physics.step(stepS);
    const m = adapter.measure();
    await controller.tick(m);

    for (const d of due) {
      if (d.event.type !== 'command') continue;
      const e = d.event;
      const outcome = await controller.command(commandOf(e, timeMs), {
        // A scenario's operator is a name in the scenario file: it is a script, not a session.
        actor: { user: e.operator, role: 'operator', transport: 'system', peer: 'scenario' },
        atMs: timeMs,
      });
      commandOutcomes.push({ atMs: timeMs, event: e, outcome });
      const answered = outcome.ok ? (outcome.done ? 'accepted' : 'failed') : 'refused';
      const unexpected = e.expect !== undefined && (e.expect === 'accepted') !== (answered === 'accepted');
      out.push({
        at: iso(timeMs),
        type: 'command',
        message: `${describeEvent(e)}: ${answered}${outcome.reason ? ` (${outcome.reason})` : ''}`,
        outcome: answered,
        ...(e.expect ? { expected: e.expect, unexpected } : {}),
      });
    }

    // What really happened, from the physics.
    const s = physics.state;
    const soc = poolSoC(physics);
    if (soc < minSoC) minSoC = soc;
    if (s.blackout) blackoutS += stepS;
    else if (!physics.gridConnected) islandedS += stepS;
    for (const [tier, id] of tierFirst) {
      const shed = s.members.get(id)?.shed ?? false;
      if (shed !== lastShed.get(tier)) {
        lastShed.set(tier, shed);
        relaySwitchMs.get(tier)?.push(timeMs);
      }
    }
    const lost = essentialLost(physics, essential);
    if (lost > essentialLostWh + 1e-9 && soc > essentialBand) {
      essentialWithEnergyWh += lost - essentialLostWh;
      essentialDarkWithEnergyS += stepS;
    }
    essentialLostWh = lost;

    options.onSecond?.({ timeMs, physics, controller, measurements: m, offline: adapter.offline });
    if (counters && timeMs >= intervalStart + intervalMs) {
      const now = readCounters(physics);
      if (intervalComplete)
        options.onInterval?.(
          energiesBetween(
            site,
            physics,
            intervalStart,
            intervalMinutes,
            controller.modeDuring(intervalStart, intervalMinutes),
            counters,
            now,
          ),
        );
      counters = now;
      intervalStart += intervalMs;
      intervalComplete = true;
    }
  }

  const s = physics.state;
  const shedKWhByTier: Record<string, number> = {};
  let unservedWh = 0;
  let essentialWh = 0;
  for (const member of site.members) {
    const tier = tierOf.get(member.id) ?? 0;
    const shedWh = s.shedWh.get(member.id) ?? 0;
    const darkWh = s.unservedWh.get(member.id) ?? 0;
    unservedWh += darkWh;
    if (shedWh > 0 || !(String(tier) in shedKWhByTier))
      shedKWhByTier[String(tier)] = round((shedKWhByTier[String(tier)] ?? 0) + shedWh / 1000, 3);
    if (tier === ESSENTIAL_TIER) essentialWh += shedWh + darkWh;
  }
  const relaySwitchingsByTier: Record<string, number> = {};
  for (const [tier, times] of relaySwitchMs) relaySwitchingsByTier[String(tier)] = times.length;

  const output: ScenarioOutput = {
    site: site.site.id,
    start: iso(startMs),
    end: iso(endMs),
    transitions: controller.transitions.map((t) => ({
      at: iso(t.atMs),
      from: t.from,
      to: t.to,
      reason: t.reason,
    })),
    kpis: {
      essentialUnservedKWh: round(essentialWh / 1000, 3),
      essentialUnservedWithEnergyKWh: round(essentialWithEnergyWh / 1000, 3),
      essentialDarkSecondsWithEnergy: essentialDarkWithEnergyS,
      shedKWhByTier,
      unservedKWh: round(unservedWh / 1000, 3),
      minSoC: round(minSoC, 4),
      islandedHours: round(islandedS / 3600, 3),
      blackoutHours: round(blackoutS / 3600, 3),
      pccPowerKWAtOpen: controller.pccOpenings.map((o) => round(o.powerKW, 3)),
      breakerOperations: s.breakerOperations,
      relaySwitchingsByTier,
    },
    events: out,
  };
  return {
    output,
    controller,
    physics,
    transitions: controller.transitions,
    relaySwitchMs,
    commandOutcomes,
    wallMs: performance.now() - wallStart,
  };
}

function poolSoC(physics: SitePhysics): number {
  let stored = 0;
  let capacity = 0;
  for (const b of physics.state.batteries.values()) {
    stored += b.socFraction * b.capacityKWh;
    capacity += b.capacityKWh;
  }
  return capacity > 0 ? stored / capacity : 0;
}

function essentialLost(physics: SitePhysics, essential: readonly string[]): number {
  let wh = 0;
  for (const id of essential)
    wh += (physics.state.unservedWh.get(id) ?? 0) + (physics.state.shedWh.get(id) ?? 0);
  return wh;
}

function applyFault(
  physics: SitePhysics,
  adapter: PhysicsAdapter,
  e: Extract<ScenarioEvent, { type: 'device-fault' }>,
) {
  switch (e.fault) {
    case 'trip':
      physics.tripBattery(e.device);
      break;
    case 'stuck':
      physics.setBreakerStuck(true);
      break;
    case 'offline':
      adapter.offline.add(e.device);
      break;
    case 'frequency-drift':
      physics.setIslandFrequencyDrift(e.driftHz ?? 0.5);
      break;
    case 'clear': {
      adapter.offline.delete(e.device);
      const device = physics.site.devices.find((d) => d.id === e.device);
      if (device?.kind === 'pcc-breaker') physics.setBreakerStuck(false);
      if (device?.kind === 'battery-inverter') {
        physics.resetBattery(e.device);
        physics.setIslandFrequencyDrift(0);
      }
      break;
    }
  }
}

function describeEvent(e: ScenarioEvent): string {
  switch (e.type) {
    case 'grid-loss':
      return `grid loss (${e.kind})`;
    case 'grid-restore':
      return `grid restored${e.voltagePu !== undefined ? ` at ${(e.voltagePu * 100).toFixed(0)} % voltage` : ''}${e.frequencyOffsetHz !== undefined ? ` with ${e.frequencyOffsetHz} Hz offset` : ''}`;
    case 'device-fault':
      return `${e.device}: ${e.fault}${e.fault === 'frequency-drift' ? ` ${e.driftHz ?? 0.5} Hz` : ''}`;
    case 'weather':
      return `weather turns ${e.weather}`;
    case 'command':
      return `command ${e.command}${e.tier !== undefined ? ` ${e.tier}` : ''}${e.mode ? ` ${e.mode}` : ''}${e.inMinutes ? ` in ${e.inMinutes} min` : ''}`;
  }
}

function round(value: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}
