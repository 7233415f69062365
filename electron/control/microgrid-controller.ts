// The microgrid controller (the dispatch and transition functions of IEEE 2030.7): one explicit
// state machine over the modes of shared/api/control-api.ts, stepped once a second on
// Measurements and acting through Actuators. The same code runs the live console and the
// scenario runner; it imports no I/O.
//
//   grid-connected ──grid lost──▶ unplanned-islanding ──breaker open, island live──▶ islanded
//        │  ▲                            │ breaker stuck / island dead                 │   ▲
//   command│  │abort                      ▼                                    grid back│   │lost again
//        ▼  │                          blackout ◀──collapse── islanded / off-grid    ▼   │
//   planned-islanding ──dead band, breaker open──▶ islanded          resynchronising ─┘
//                                      │  ▲                                 │ stable + sync check
//                              pool ok ▼  │ failed                          ▼
//                                    black-start ──tiers restored──▶ islanded     reconnecting ──closed──▶ grid-connected
import type {
  AlarmSeverity,
  BatteryMode,
  CommandCheck,
  CommandOutcome,
  ControlAlarm,
  ControlEvent,
  ControlEventKind,
  ControlMode,
  ControlSnapshot,
  ControlState,
  ControlTransition,
  OperatorCommand,
  SyncCheckResult,
} from '../../shared/api/control-api.ts';
import { describeCommand } from '../../shared/api/control-api.ts';
import type { IntervalMode } from '../../shared/settlement/interval-energy.ts';
import type { SiteFile } from '../../shared/site/schema.ts';
import type { ActuatorResult, Actuators } from './actuators.ts';
import { AlarmBook } from './alarm-book.ts';
import { MemoryAuditTrail, SYSTEM_ACTOR, type AuditActor, type AuditTrail } from '../platform/audit-trail.ts';
import { controlConfigFor, type ControlConfig, type ControlConfigOverrides } from './control-config.ts';
import { assessGrid, GridStability, type GridAssessment, type Nominal } from './grid-detection.ts';
import { LoadShedder, pct, type PoolView, type TierDecision } from './load-shedding.ts';
import { availableRatedKW, islandEnergised, type Measurements } from './measurements.ts';
import { ModeRecord } from './mode-record.ts';
import { LoadForecast } from './reserve-sizing.ts';
import { syncCheck } from './sync-check.ts';
import { controlSnapshot } from '../../shared/api/control-snapshot.ts';

/** A pool this full cannot take the PCC's surplus: PV is curtailed instead. */
const POOL_FULL_SOC = 0.97;
/** The reserve is re-sized this often: the forecast changes by the hour, and thresholds should not wander. */
const RESERVE_PERIOD_MS = 15 * 60_000;
const KEEP_EVENTS = 500;
const SYNC_ALARM_AFTER_MS = 10 * 60_000;

export interface ControllerOptions {
  site: SiteFile;
  actuators: Actuators;
  startMs: number;
  config?: ControlConfigOverrides;
  /** Where commands are audited; an in-memory trail when not given (scenario runs, tests). */
  audit?: AuditTrail;
  onEvent?: (event: ControlEvent) => void;
  onAlarm?: (alarm: ControlAlarm) => void;
  onTransition?: (transition: ControlTransition) => void;
}

export interface CommandRequest {
  /** Who commands, from the caller's session; the console itself when not given. */
  actor?: AuditActor;
  /** When the command is given (defaults to the last measurement's time). */
  atMs?: number;
}

interface PlannedIslanding {
  startedMs: number;
  /** When the PCC was first read inside the dead band in the current run of in-band readings. */
  inBandSinceMs: number | null;
  openIssuedMs: number | null;
  lastSetpointKW: number | null;
}

interface BlackStartRun {
  startedMs: number;
  energisedMs: number | null;
  lastStepMs: number;
}

export class MicrogridController {
  readonly config: ControlConfig;
  readonly alarms: AlarmBook;
  readonly audit: AuditTrail;
  readonly modes: ModeRecord;
  /** Every transition since the controller started, oldest first. */
  readonly transitions: ControlTransition[] = [];
  /** PCC power at each planned opening of the breaker, kW. */
  readonly pccOpenings: Array<{ atMs: number; powerKW: number }> = [];

  private readonly site: SiteFile;
  private readonly act: Actuators;
  private readonly nominal: Nominal;
  private readonly connected: boolean;
  private readonly forecast: LoadForecast;
  private readonly shedder: LoadShedder;
  private readonly stability: GridStability;
  private readonly events: ControlEvent[] = [];
  private nextEventId = 1;

  private mode: ControlMode;
  private sinceMs: number;
  private reason = 'controller started';
  private last: Measurements | null = null;
  private grid: GridAssessment = { status: 'unknown', reason: 'no reading yet' };
  private energised: boolean | null = null;
  private reserve = { kWh: 0, soc: 0, sizedMs: Number.NEGATIVE_INFINITY };
  private pvLimit = 1;
  private pvCurtailing = false;
  private reconnectWanted = false;
  private plan: PlannedIslanding | null = null;
  private breakerIssuedMs = 0;
  private breakerFailure: string | null = null;
  private lastRetryMs = Number.NEGATIVE_INFINITY;
  private blackStart: BlackStartRun | null = null;
  private nextBlackStartMs = Number.NEGATIVE_INFINITY;
  private blackStartBackoffS: number;
  private lastFormCommandMs = Number.NEGATIVE_INFINITY;
  private lastSync: SyncCheckResult | null = null;
  private syncFailingSinceMs: number | null = null;
  private readonly tierFailureMs = new Map<number, number>();
  private schedule: Array<{ atMs: number; command: OperatorCommand; actor: AuditActor }> = [];
  private started = false;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly options: ControllerOptions) {
    this.site = options.site;
    this.act = options.actuators;
    this.config = controlConfigFor(options.site, options.config);
    this.connected = options.site.grid.kind === 'connected';
    this.nominal = {
      voltageV: options.site.site.nominalVoltageV,
      frequencyHz: options.site.site.nominalFrequencyHz,
    };
    this.forecast = new LoadForecast(options.site);
    this.shedder = new LoadShedder(options.site, this.config.shedding, this.forecast);
    this.stability = new GridStability(this.nominal, this.config.stability);
    this.alarms = new AlarmBook((alarm) => options.onAlarm?.(alarm));
    this.audit = options.audit ?? new MemoryAuditTrail();
    this.mode = this.connected ? 'grid-connected' : 'off-grid';
    this.sinceMs = options.startMs;
    this.modes = new ModeRecord(options.startMs, this.mode);
    this.blackStartBackoffS = this.config.blackStart.retrySeconds;
  }

  get currentMode(): ControlMode {
    return this.mode;
  }

  /** Which mode held for most of a settlement interval (for the market and settlement). */
  modeDuring(startMs: number, minutes: number): IntervalMode {
    return this.modes.modeDuring(startMs, minutes);
  }

  /** Runs the state machine once on fresh measurements. Ticks and commands never interleave. */
  tick(m: Measurements): Promise<void> {
    return this.exclusive(() => this.step(m));
  }

  /** What `command` would do now, or why it would be refused. Changes nothing. */
  check(command: OperatorCommand, atMs?: number): CommandCheck {
    return this.checkCommand(command, atMs ?? this.last?.timeMs ?? this.options.startMs);
  }

  /** Runs an operator command (already confirmed by the operator), with an audit record. */
  command(command: OperatorCommand, request: CommandRequest = {}): Promise<CommandOutcome> {
    return this.exclusive(() => this.runCommand(command, request));
  }

  /** The interlock the field layer asks before closing the PCC breaker. */
  canClosePcc(nowMs?: number): { ok: boolean; reason: string } {
    const m = this.last;
    if (!this.connected) return { ok: false, reason: 'the site is off-grid: there is no PCC breaker' };
    if (!m) return { ok: false, reason: 'the controller has no measurements yet' };
    if (nowMs !== undefined && nowMs - m.timeMs > 5000)
      return {
        ok: false,
        reason: `the controller's measurements are ${((nowMs - m.timeMs) / 1000).toFixed(0)} s old`,
      };
    if (
      this.mode === 'planned-islanding' ||
      this.mode === 'unplanned-islanding' ||
      this.mode === 'black-start'
    )
      return { ok: false, reason: `a transition is in progress (${this.mode})` };
    const stable = this.stability.stableForSeconds(m.timeMs);
    const required = this.config.stability.seconds;
    if (stable === null)
      return { ok: false, reason: `grid not within the reconnection band: ${this.stability.reason}` };
    if (stable < required)
      return { ok: false, reason: `grid stable for ${stable.toFixed(0)} s of the ${required} s required` };
    const sc = syncCheck(m, this.nominal, this.config.syncCheck);
    return { ok: sc.ok, reason: sc.ok ? sc.reason : `sync check failed: ${sc.reason}` };
  }

  acknowledge(alarmId: number): boolean {
    return this.alarms.acknowledge(alarmId);
  }

  eventLog(): ControlEvent[] {
    return [...this.events];
  }

  /** The compact picture the live snapshot carries; derived from `state()` by the one rule in shared/. */
  snapshot(): ControlSnapshot {
    return controlSnapshot(this.state());
  }

  state(): ControlState {
    const m = this.last;
    const timeMs = m?.timeMs ?? this.options.startMs;
    const loads = new Map<number, number | null>((m?.tiers ?? []).map((t) => [t.tier, t.loadKW]));
    const stable = this.stability.stableForSeconds(timeMs);
    return {
      timeMs,
      siteKind: this.connected ? 'connected' : 'off-grid',
      mode: this.mode,
      sinceMs: this.sinceMs,
      reason: this.reason,
      pcc: this.connected
        ? {
            quality: m?.pcc?.quality ?? 'unknown',
            voltageV: m?.pcc?.voltageV ?? null,
            frequencyHz: m?.pcc?.frequencyHz ?? null,
            powerKW: m?.pcc?.powerKW ?? null,
            breakerClosed: m?.pcc?.breakerClosed ?? null,
            breakerTripped: m?.pcc?.breakerTripped ?? null,
            gridStatus: this.grid.status,
            gridReason: this.grid.reason,
            gridStableForS: stable,
            stableRequiredS: this.config.stability.seconds,
          }
        : null,
      island: {
        voltageV: m?.island.voltageV ?? null,
        frequencyHz: m?.island.frequencyHz ?? null,
        energised: this.energised,
      },
      pool: {
        socFraction: m?.pool.socFraction ?? null,
        powerKW: m?.pool.powerKW ?? null,
        availableKW: m ? availableRatedKW(m) : 0,
        reserveSoC: this.reserve.soc,
        reserveKWh: this.reserve.kWh,
        batteries: (m?.pool.batteries ?? []).map((b) => ({
          id: b.id,
          mode: b.mode,
          available: b.available,
          socFraction: b.socFraction,
          powerKW: b.powerKW,
        })),
      },
      pvLimitFraction: this.pvLimit,
      tiers: this.shedder.states(this.poolView(m, timeMs), loads),
      syncCheck: this.lastSync,
      schedule: this.schedule.map((s) => ({ atMs: s.atMs, command: s.command })),
      alarms: this.alarms.list(),
      transitions: this.transitions.slice(-50),
      events: this.events.slice(-100),
      deadBandKW: this.config.plannedIslanding.deadBandKW,
    };
  }

  // ── the state machine ────────────────────────────────────────────────────────────────────

  private async step(m: Measurements): Promise<void> {
    const now = m.timeMs;
    this.last = m;
    this.grid = this.connected
      ? assessGrid(m.pcc, this.nominal, this.config.gridLoss)
      : { status: 'lost', reason: 'the site is off-grid' };
    this.stability.update(m.pcc, now);
    this.energised = islandEnergised(m, this.nominal.voltageV);
    this.sizeReserve(now);
    this.watchMeters(m, now);
    if (!this.started) {
      this.started = true;
      await this.inferInitialMode(m, now);
    }
    await this.runSchedule(now);

    switch (this.mode) {
      case 'grid-connected':
        return this.whileGridConnected(m, now);
      case 'planned-islanding':
        return this.whilePlannedIslanding(m, now);
      case 'unplanned-islanding':
        return this.whileUnplannedIslanding(m, now);
      case 'islanded':
      case 'resynchronising':
      case 'off-grid':
        return this.whileIslanded(m, now);
      case 'reconnecting':
        return this.whileReconnecting(m, now);
      case 'blackout':
        return this.whileBlackout(m, now);
      case 'black-start':
        return this.whileBlackStart(m, now);
    }
  }

  private async inferInitialMode(m: Measurements, now: number): Promise<void> {
    if (this.connected) {
      if (m.pcc?.breakerClosed !== false) return;
      if (this.energised === false) return this.goBlackout('the console started with the site dark', now);
      this.reconnectWanted = this.grid.status !== 'present' && this.config.autoReconnect;
      this.enter('islanded', 'the console started with the PCC breaker open', now);
      return;
    }
    if (this.energised === false) await this.goBlackout('the console started with the site dark', now);
  }

  private async whileGridConnected(m: Measurements, now: number): Promise<void> {
    if (this.grid.status === 'lost') return this.startUnplanned(this.grid.reason, now);
    if (m.pcc?.breakerClosed === false)
      return this.startUnplanned('PCC breaker opened outside the controller (protection or by hand)', now);
    const restore = this.shedder.restoreForGrid(now);
    if (restore) await this.switchTier(restore, now, false);
    if (this.pvLimit < 1) await this.applyPvLimit(1, 'grid-connected: PV runs free', now);
  }

  private async startUnplanned(reason: string, now: number): Promise<void> {
    this.plan = null;
    this.enter('unplanned-islanding', `grid lost: ${reason}`, now);
    this.raise('grid-lost', 'critical', `Grid lost: ${reason}`, now);
    this.reconnectWanted = this.config.autoReconnect;
    this.breakerIssuedMs = now;
    this.breakerFailure = null;
    const open = await this.act.openBreaker(`grid lost: ${reason}`);
    if (!open.ok) {
      this.breakerFailure = open.reason;
      this.note('breaker', `PCC breaker did not open: ${open.reason}`, now);
      return;
    }
    this.note('breaker', 'PCC breaker opened', now);
    await this.formIsland('grid lost: the pool forms the island', now);
  }

  private async whileUnplannedIslanding(m: Measurements, now: number): Promise<void> {
    const closed = m.pcc?.breakerClosed;
    if (closed === false && this.breakerFailure === null) {
      if (this.energised === true) {
        this.alarms.clear('breaker-stuck', now);
        this.enter('islanded', `island formed in ${((now - this.sinceMs) / 1000).toFixed(0)} s`, now);
        return;
      }
      if (now - this.sinceMs >= this.config.blackStart.energiseTimeoutSeconds * 1000)
        return this.goBlackout('the island did not energise: no battery inverter could form it', now);
      return;
    }
    if (closed === true && this.grid.status === 'present') {
      this.alarms.clear('grid-lost', now);
      await this.setPoolMode('self-consumption', 'grid returned before the breaker opened', now);
      this.enter('grid-connected', 'grid returned before the PCC breaker opened', now);
      return;
    }
    if (
      this.breakerFailure !== null ||
      now - this.breakerIssuedMs >= this.config.breakerTimeoutSeconds * 1000
    ) {
      const why =
        this.breakerFailure ?? `still closed ${this.config.breakerTimeoutSeconds} s after the command`;
      this.raise(
        'breaker-stuck',
        'critical',
        `PCC breaker failed to open (${why}): the island is not formed onto the dead grid; open the breaker by hand`,
        now,
      );
      await this.setPoolMode('standby', 'anti-islanding: the breaker is closed onto a dead grid', now);
      return this.goBlackout(`PCC breaker failed to open (${why})`, now);
    }
  }

  private async goBlackout(reason: string, now: number): Promise<void> {
    this.plan = null;
    this.blackStart = null;
    this.enter('blackout', reason, now);
    this.raise('blackout', 'critical', `Site dark: ${reason}`, now);
    this.lastRetryMs = now;
    // Every relay opens so the black start picks loads up one tier at a time.
    for (const tier of this.shedder.allEnergised())
      await this.switchTier(
        { tier, shed: true, reason: 'blackout: relays opened for an orderly black start' },
        now,
        false,
      );
  }

  private async whileBlackout(m: Measurements, now: number): Promise<void> {
    if (this.connected) {
      const closed = m.pcc?.breakerClosed;
      if (closed === true) {
        if (this.grid.status === 'present') {
          this.clearOutageAlarms(now);
          this.reconnectWanted = false;
          await this.setPoolMode('self-consumption', 'grid-connected: the pool follows the site', now);
          this.enter('grid-connected', 'grid returned with the PCC breaker closed', now);
          return;
        }
        if (now - this.lastRetryMs >= this.config.retrySeconds * 1000) {
          this.lastRetryMs = now;
          const open = await this.act.openBreaker('blackout: separating the site from the dead grid');
          if (open.ok) {
            this.alarms.clear('breaker-stuck', now);
            this.note('breaker', 'PCC breaker opened on retry', now);
          } else
            this.raise(
              'breaker-stuck',
              'critical',
              `PCC breaker still fails to open (${open.reason}): open it by hand to allow a black start`,
              now,
            );
        }
        return;
      }
      if (closed === null) return;
      const stable = this.stability.stableForSeconds(now);
      if (
        this.reconnectWanted &&
        this.grid.status === 'present' &&
        stable !== null &&
        stable >= this.config.stability.seconds &&
        !this.canBlackStart(m)
      )
        return this.startReconnect(`grid stable for ${stable.toFixed(0)} s: closing onto the dead site`, now);
    }
    if (this.canBlackStart(m) && now >= this.nextBlackStartMs) await this.startBlackStart(now);
  }

  private canBlackStart(m: Measurements): boolean {
    return m.pool.batteries.some((b) => b.available === true && b.socFraction !== null);
  }

  private async startBlackStart(now: number): Promise<void> {
    this.enter('black-start', 'the battery pool is available: black start', now);
    this.blackStart = { startedMs: now, energisedMs: null, lastStepMs: now };
    for (const tier of this.shedder.allEnergised())
      await this.switchTier({ tier, shed: true, reason: 'black start: starting with no load' }, now, false);
    await this.formIsland('black start: the pool energises the island', now);
  }

  private async whileBlackStart(m: Measurements, now: number): Promise<void> {
    const run = this.blackStart as BlackStartRun;
    if (this.energised !== true) {
      if (run.energisedMs !== null)
        return this.failBlackStart('the island collapsed during the black start', now);
      if (now - run.startedMs >= this.config.blackStart.energiseTimeoutSeconds * 1000)
        return this.failBlackStart('the pool did not energise the island', now);
      return;
    }
    if (run.energisedMs === null) {
      run.energisedMs = now;
      run.lastStepMs = now;
      this.note('info', 'island energised from the battery pool', now);
      return;
    }
    if (now - run.lastStepMs < this.config.blackStart.stepSeconds * 1000) return;
    const { decision, waiting } = this.shedder.nextForBlackStart(this.poolView(m, now));
    if (decision) {
      run.lastStepMs = now;
      await this.switchTier(decision, now, false);
      return;
    }
    this.blackStart = null;
    this.blackStartBackoffS = this.config.blackStart.retrySeconds;
    this.alarms.clear('blackout', now);
    this.enter(
      this.steadyIslandMode(),
      waiting ? `black start complete; ${waiting}` : 'black start complete: every tier restored',
      now,
    );
  }

  private async failBlackStart(reason: string, now: number): Promise<void> {
    this.nextBlackStartMs = now + this.blackStartBackoffS * 1000;
    this.note('info', `black start failed (${reason}); next attempt in ${this.blackStartBackoffS} s`, now);
    this.blackStartBackoffS = Math.min(this.config.blackStart.maxRetrySeconds, this.blackStartBackoffS * 2);
    await this.goBlackout(`black start failed: ${reason}`, now);
  }

  private steadyIslandMode(): ControlMode {
    return this.connected ? 'islanded' : 'off-grid';
  }

  private async whileIslanded(m: Measurements, now: number): Promise<void> {
    if (this.energised === false) return this.goBlackout(this.collapseReason(m), now);
    if (this.connected && m.pcc?.breakerClosed === true && this.grid.status === 'present') {
      await this.setPoolMode('self-consumption', 'grid-connected: the pool follows the site', now);
      this.clearOutageAlarms(now);
      this.enter('grid-connected', 'PCC breaker closed outside the controller', now);
      return;
    }
    await this.islandDispatch(m, now);
    if (!this.connected) return;
    if (this.mode === 'islanded') {
      if (this.reconnectWanted && this.grid.status === 'present')
        this.enter(
          'resynchronising',
          `grid is back: waiting for it to be stable for ${this.config.stability.seconds} s`,
          now,
        );
      return;
    }
    // resynchronising
    if (this.grid.status !== 'present') {
      this.lastSync = null;
      this.syncFailingSinceMs = null;
      this.enter('islanded', `grid lost again: ${this.grid.reason}`, now);
      return;
    }
    const stable = this.stability.stableForSeconds(now);
    if (stable === null || stable < this.config.stability.seconds) return;
    const sc = syncCheck(m, this.nominal, this.config.syncCheck);
    const previous = this.lastSync;
    this.lastSync = sc;
    if (!sc.ok) {
      this.syncFailingSinceMs ??= now;
      if (!previous || previous.ok || previous.reason.split(' ')[0] !== sc.reason.split(' ')[0])
        this.note('sync', `sync check failed: ${sc.reason}`, now);
      if (now - this.syncFailingSinceMs >= SYNC_ALARM_AFTER_MS)
        this.raise('sync-check', 'warning', `Sync check failing for 10 min: ${sc.reason}`, now);
      return;
    }
    this.syncFailingSinceMs = null;
    this.note('sync', `sync check passed: ${sc.reason}`, now);
    await this.startReconnect(`grid stable for ${stable.toFixed(0)} s; ${sc.reason}`, now);
  }

  private collapseReason(m: Measurements): string {
    const soc = m.pool.socFraction;
    if (availableRatedKW(m) === 0) return 'island collapsed: no battery inverter is available';
    if (soc !== null && soc <= this.config.shedding.floorSoC - 0.015)
      return `island collapsed: the pool is empty (${pct(soc)})`;
    return 'island collapsed: the pool could not carry the load (overload or inverter trip)';
  }

  private async islandDispatch(m: Measurements, now: number): Promise<void> {
    // An inverter back from a trip waits in standby: put it back to forming the island.
    if (now - this.lastFormCommandMs >= this.config.retrySeconds * 1000) {
      for (const b of m.pool.batteries) {
        if (b.available === true && b.mode !== null && b.mode !== 'grid-forming') {
          this.lastFormCommandMs = now;
          const r = await this.act.setBatteryMode(
            'grid-forming',
            'islanded: every available inverter forms',
            b.id,
          );
          this.note(
            'battery',
            r.ok ? `${b.id} forming the island again` : `${b.id} did not start forming: ${r.reason}`,
            now,
          );
        }
      }
    }
    for (const decision of this.shedder.decide(this.poolView(m, now)))
      await this.switchTier(decision, now, false);
    await this.curtailPv(m, now);
  }

  private async curtailPv(m: Measurements, now: number): Promise<void> {
    const soc = m.pool.socFraction;
    if (soc === null) return;
    const { startSoC, releaseSoC } = this.config.pvCurtail;
    if (soc >= startSoC) {
      const pvKW = m.pv.powerKW ?? 0;
      const available = m.pv.availableKW ?? pvKW / Math.max(this.pvLimit, 0.01);
      if (available <= 0.1) return;
      // Let PV cover the load and nothing more: the pool stops charging.
      const wanted = Math.min(1, Math.max(0, (pvKW + (m.pool.powerKW ?? 0)) / available));
      if (!this.pvCurtailing) {
        if (wanted >= 0.999) return;
        this.pvCurtailing = true;
        this.note('pv', `pool full (${pct(soc)}): curtailing PV`, now);
      }
      if (Math.abs(wanted - this.pvLimit) >= 0.02) await this.applyPvLimit(wanted, 'pool full', now, true);
    } else if (soc < releaseSoC && this.pvLimit < 1) {
      this.pvCurtailing = false;
      await this.applyPvLimit(1, `pool at ${pct(soc)}: PV runs free again`, now);
    }
  }

  private async applyPvLimit(fraction: number, reason: string, now: number, quiet = false): Promise<void> {
    const r = await this.act.setPvLimit(fraction, reason);
    if (r.ok) {
      this.pvLimit = fraction;
      if (!quiet) {
        this.note('pv', `PV limit ${pct(fraction)}: ${reason}`, now);
        if (fraction >= 1) this.pvCurtailing = false;
      }
    } else if (!quiet) this.note('pv', `PV limit not applied: ${r.reason}`, now);
  }

  private async startReconnect(reason: string, now: number): Promise<void> {
    const from = this.mode;
    this.enter('reconnecting', reason, now);
    this.breakerIssuedMs = now;
    const r = await this.act.closeBreaker(reason);
    if (r.ok) return;
    this.raise('breaker-close', 'warning', `PCC breaker did not close: ${r.reason}`, now);
    this.enter(from === 'blackout' ? 'blackout' : 'islanded', `reconnection failed: ${r.reason}`, now);
  }

  private async whileReconnecting(m: Measurements, now: number): Promise<void> {
    if (m.pcc?.breakerClosed === true) {
      await this.setPoolMode('self-consumption', 'grid-connected: the pool follows the site', now);
      if (this.pvLimit < 1) await this.applyPvLimit(1, 'grid-connected: PV runs free', now);
      this.reconnectWanted = false;
      this.lastSync = null;
      this.clearOutageAlarms(now);
      this.enter('grid-connected', 'PCC breaker closed: reconnected to the grid', now);
      return;
    }
    if (now - this.breakerIssuedMs >= this.config.breakerTimeoutSeconds * 1000) {
      this.raise('breaker-close', 'warning', 'PCC breaker did not close within the breaker timeout', now);
      if (this.energised === false)
        return this.goBlackout('PCC breaker did not close onto the dead site', now);
      this.enter(
        'islanded',
        `PCC breaker still open ${this.config.breakerTimeoutSeconds} s after the close command`,
        now,
      );
    }
  }

  private async startPlanned(reason: string, now: number): Promise<void> {
    this.enter('planned-islanding', reason, now);
    this.plan = { startedMs: now, inBandSinceMs: null, openIssuedMs: null, lastSetpointKW: null };
    this.reconnectWanted = false;
    await this.setPoolMode('setpoint', 'planned islanding: the pool balances the PCC', now);
  }

  private async whilePlannedIslanding(m: Measurements, now: number): Promise<void> {
    const plan = this.plan as PlannedIslanding;
    const { deadBandKW, timeoutSeconds, settleSeconds } = this.config.plannedIslanding;
    if (plan.openIssuedMs !== null) {
      if (m.pcc?.breakerClosed === false) {
        this.plan = null;
        const opened = this.pccOpenings[this.pccOpenings.length - 1];
        this.enter(
          'islanded',
          `planned island formed: PCC breaker opened at ${opened ? opened.powerKW.toFixed(2) : '?'} kW`,
          now,
        );
        return;
      }
      if (now - plan.openIssuedMs >= this.config.breakerTimeoutSeconds * 1000) {
        this.raise('breaker-stuck', 'critical', 'PCC breaker failed to open for planned islanding', now);
        return this.abortPlanned('PCC breaker did not open', now);
      }
      return;
    }
    if (this.grid.status === 'lost') return this.startUnplanned(this.grid.reason, now);
    const pccKW = m.pcc?.quality === 'good' ? (m.pcc.powerKW ?? null) : null;
    if (pccKW === null)
      return this.abortPlanned('PCC meter not answering: the dead band cannot be verified', now);
    // Settled means in band from the first in-band reading on: the time before it, since the
    // previous tick, is not known to have been in band.
    if (Math.abs(pccKW) > deadBandKW) plan.inBandSinceMs = null;
    else plan.inBandSinceMs ??= now;
    if (plan.inBandSinceMs !== null && now - plan.inBandSinceMs >= settleSeconds * 1000) {
      plan.openIssuedMs = now;
      this.pccOpenings.push({ atMs: now, powerKW: pccKW });
      const open = await this.act.openBreaker(
        `planned islanding: PCC at ${pccKW.toFixed(2)} kW, within ±${deadBandKW} kW`,
      );
      if (!open.ok) {
        this.raise(
          'breaker-stuck',
          'critical',
          `PCC breaker failed to open for planned islanding: ${open.reason}`,
          now,
        );
        return this.abortPlanned(`PCC breaker did not open: ${open.reason}`, now);
      }
      this.note('breaker', `PCC breaker opened at ${pccKW.toFixed(2)} kW`, now);
      await this.formIsland('planned islanding: the pool forms the island', now);
      return;
    }
    if (now - plan.startedMs >= timeoutSeconds * 1000)
      return this.abortPlanned(
        `the PCC stayed at ${pccKW.toFixed(1)} kW, outside ±${deadBandKW} kW, for ${timeoutSeconds} s (${this.balanceLimit(m)})`,
        now,
      );
    await this.balancePcc(m, pccKW, now);
  }

  /** Drives the PCC towards zero: the pool takes the difference, PV is curtailed what it cannot. */
  private async balancePcc(m: Measurements, pccKW: number, now: number): Promise<void> {
    const plan = this.plan as PlannedIslanding;
    const available = availableRatedKW(m);
    const soc = m.pool.socFraction;
    const minPool = soc === null || soc < POOL_FULL_SOC ? -available : 0;
    const maxPool = soc === null || soc > this.config.shedding.floorSoC ? available : 0;
    let target = (m.pool.powerKW ?? 0) + pccKW;
    let pvLimit = this.pvLimit;
    const pvKW = m.pv.powerKW ?? 0;
    const pvAvailable = m.pv.availableKW ?? pvKW / Math.max(this.pvLimit, 0.01);
    if (target < minPool && pvAvailable > 0) {
      pvLimit = Math.max(0, (pvKW - (minPool - target)) / pvAvailable);
      target = minPool;
    } else if (this.pvLimit < 1 && pvAvailable > 0 && target > minPool) {
      const giveBack = Math.min(target - minPool, pvAvailable - pvKW);
      pvLimit = Math.min(1, (pvKW + giveBack) / pvAvailable);
      target -= giveBack;
    }
    target = Math.max(minPool, Math.min(maxPool, target));
    if (plan.lastSetpointKW === null || Math.abs(target - plan.lastSetpointKW) >= 0.05) {
      const r = await this.act.setBatterySetpoint(target, 'planned islanding: balancing the PCC');
      if (r.ok) plan.lastSetpointKW = target;
    }
    if (Math.abs(pvLimit - this.pvLimit) >= 0.002)
      await this.applyPvLimit(pvLimit, 'planned islanding: the pool cannot take the PV surplus', now, true);
  }

  private balanceLimit(m: Measurements): string {
    const soc = m.pool.socFraction;
    const available = availableRatedKW(m);
    const pcc = m.pcc?.powerKW ?? 0;
    if (available === 0) return 'no battery inverter available';
    if (pcc > 0) return `the load exceeds what the pool can give (${available.toFixed(0)} kW available)`;
    if (soc !== null && soc >= POOL_FULL_SOC) return 'the pool is full and PV cannot be curtailed further';
    return 'the pool is at its power limit';
  }

  private async abortPlanned(reason: string, now: number): Promise<void> {
    this.plan = null;
    await this.setPoolMode('self-consumption', 'planned islanding aborted', now);
    if (this.pvLimit < 1) await this.applyPvLimit(1, 'planned islanding aborted', now);
    this.raise('planned-islanding', 'warning', `Planned islanding aborted: ${reason}`, now);
    this.enter('grid-connected', `planned islanding aborted: ${reason}`, now);
  }

  // ── actions ──────────────────────────────────────────────────────────────────────────────

  private async formIsland(reason: string, now: number): Promise<void> {
    this.lastFormCommandMs = now;
    await this.setPoolMode('grid-forming', reason, now);
  }

  private async setPoolMode(mode: BatteryMode, reason: string, now: number): Promise<ActuatorResult> {
    const r = await this.act.setBatteryMode(mode, reason);
    this.note(
      'battery',
      r.ok ? `battery pool → ${mode}: ${reason}` : `battery pool did not go ${mode}: ${r.reason}`,
      now,
    );
    return r;
  }

  private async switchTier(d: TierDecision, now: number, manual: boolean): Promise<ActuatorResult> {
    const failedAt = this.tierFailureMs.get(d.tier);
    if (!manual && failedAt !== undefined && now - failedAt < this.config.retrySeconds * 1000)
      return { ok: false, reason: 'waiting to retry' };
    const r = await this.act.setTierShed(d.tier, d.shed, d.reason);
    if (r.ok) {
      this.tierFailureMs.delete(d.tier);
      this.alarms.clear(`relay-tier-${d.tier}`, now);
      this.shedder.record(d.tier, d.shed, now, manual, d.overload ?? false);
      this.note(
        d.shed ? 'shed' : 'restore',
        `tier ${d.tier} ${d.shed ? 'shed' : 'restored'}: ${d.reason}`,
        now,
      );
    } else {
      this.tierFailureMs.set(d.tier, now);
      this.raise(
        `relay-tier-${d.tier}`,
        'warning',
        `Shed relays of tier ${d.tier} did not ${d.shed ? 'open' : 'close'}: ${r.reason}`,
        now,
      );
    }
    return r;
  }

  // ── operator commands ────────────────────────────────────────────────────────────────────

  private checkCommand(command: OperatorCommand, now: number): CommandCheck {
    const m = this.last;
    const refuse = (reason: string, summary = describeCommand(command)): CommandCheck => ({
      ok: false,
      reason,
      summary,
    });
    if (!m) return refuse('the controller has no measurements yet');
    const busy = ['planned-islanding', 'unplanned-islanding', 'reconnecting', 'black-start'].includes(
      this.mode,
    );
    const soc = m.pool.socFraction;
    const available = availableRatedKW(m);
    switch (command.kind) {
      case 'island': {
        if (!this.connected) return refuse('this site is off-grid: there is no grid to island from');
        const summary = `Drive the PCC to within ±${this.config.plannedIslanding.deadBandKW} kW with the battery pool and PV curtailment, then open the PCC breaker and form the island; abort if the dead band is not reached within ${this.config.plannedIslanding.timeoutSeconds} s.`;
        if (command.atMs !== undefined && command.atMs > now + 1000)
          return { ok: true, reason: '', summary: `At ${new Date(command.atMs).toISOString()}: ${summary}` };
        if (this.mode !== 'grid-connected')
          return refuse(`the site is not grid-connected (${this.mode})`, summary);
        if (m.pcc?.quality !== 'good' || m.pcc.powerKW === null)
          return refuse('PCC meter not answering: the dead band cannot be verified', summary);
        if (m.pcc.breakerClosed !== true) return refuse('PCC breaker position unknown', summary);
        if (this.alarms.isActive('breaker-stuck'))
          return refuse('the PCC breaker is reported stuck', summary);
        if (available === 0) return refuse('no battery inverter is available to form the island', summary);
        if (soc === null) return refuse('pool SoC unknown', summary);
        if (soc < this.reserve.soc)
          return refuse(
            `the pool at ${pct(soc)} is below the essential reserve ${pct(this.reserve.soc)} (${this.reserve.kWh.toFixed(1)} kWh for ${this.config.reserveHours} h of essential loads)`,
            summary,
          );
        return { ok: true, reason: '', summary };
      }
      case 'reconnect': {
        if (!this.connected) return refuse('this site is off-grid: there is no grid to reconnect to');
        const summary = `Wait until the grid has been stable for ${this.config.stability.seconds} s, check synchronism (ΔV ≤ ${this.config.syncCheck.maxVoltageDiffPct} %, Δf ≤ ${this.config.syncCheck.maxFrequencyDiffHz} Hz, Δφ ≤ ${this.config.syncCheck.maxPhaseDiffDeg}°), then close the PCC breaker.`;
        if (this.mode === 'planned-islanding')
          return { ok: true, reason: '', summary: 'Cancel the planned islanding and stay grid-connected.' };
        if (this.mode === 'grid-connected') return refuse('the site is already grid-connected', summary);
        if (busy) return refuse(`wait: the controller is ${this.mode}`, summary);
        if (this.grid.status !== 'present')
          return refuse(`no usable grid at the PCC: ${this.grid.reason}`, summary);
        if (m.pcc?.breakerClosed === null) return refuse('PCC breaker position unknown', summary);
        const stable = this.stability.stableForSeconds(now);
        return {
          ok: true,
          reason:
            stable === null || stable < this.config.stability.seconds
              ? `the grid has been stable for ${(stable ?? 0).toFixed(0)} s: the breaker closes after ${this.config.stability.seconds} s`
              : '',
          summary,
        };
      }
      case 'shed': {
        if (!this.shedder.has(command.tier))
          return refuse(`no tier ${command.tier} with loads (tiers: ${this.shedder.tierNumbers.join(', ')})`);
        if (this.shedder.isShed(command.tier)) return refuse(`tier ${command.tier} is already shed`);
        if (this.mode === 'blackout' || this.mode === 'black-start')
          return refuse(`the site is ${this.mode}: the black start sequence switches the tiers`);
        const members = this.site.members.filter((x) => x.priorityTier === command.tier).map((x) => x.name);
        return {
          ok: true,
          reason: command.tier === 0 ? `essential loads lose power: ${members.join(', ')}` : '',
          summary: `Open the shed relays of tier ${command.tier} (${members.length} members) and hold them open until restored by hand.`,
        };
      }
      case 'restore': {
        if (!this.shedder.has(command.tier))
          return refuse(`no tier ${command.tier} with loads (tiers: ${this.shedder.tierNumbers.join(', ')})`);
        if (!this.shedder.isShed(command.tier)) return refuse(`tier ${command.tier} is not shed`);
        if (this.mode === 'blackout' || this.mode === 'black-start')
          return refuse(`the site is ${this.mode}: the black start sequence restores the tiers in order`);
        const summary = `Close the shed relays of tier ${command.tier} and return it to automatic shedding.`;
        if (this.mode !== 'grid-connected' && this.mode !== 'planned-islanding') {
          const why = this.shedder.restoreRefusal(command.tier, this.poolView(m, now));
          if (why) return refuse(`unsafe while islanded: ${why}`, summary);
        }
        return { ok: true, reason: '', summary };
      }
      case 'battery-mode': {
        const summary = `Set every available battery inverter to ${command.mode}${command.mode === 'setpoint' ? ` at ${command.setpointKW ?? 0} kW for the pool` : ''}.`;
        if (busy || this.mode === 'blackout')
          return refuse(`the controller is ${this.mode}: it commands the pool itself`, summary);
        if (this.mode !== 'grid-connected' && command.mode !== 'grid-forming')
          return refuse(
            `the pool is forming the island: switching it to ${command.mode} would black the island out`,
            summary,
          );
        if (this.mode === 'grid-connected' && command.mode === 'grid-forming')
          return refuse('the pool cannot form voltage in parallel with the grid: island first', summary);
        if (command.mode === 'setpoint') {
          if (command.setpointKW === undefined) return refuse('setpoint mode needs setpointKW', summary);
          if (Math.abs(command.setpointKW) > available)
            return refuse(
              `${command.setpointKW} kW exceeds the ${available.toFixed(0)} kW the available inverters can give`,
              summary,
            );
        }
        return { ok: true, reason: '', summary };
      }
      case 'cancel-schedule':
        if (this.schedule.length === 0) return refuse('nothing is scheduled');
        return { ok: true, reason: '', summary: `Cancel ${this.schedule.length} scheduled command(s).` };
    }
  }

  private async runCommand(command: OperatorCommand, request: CommandRequest): Promise<CommandOutcome> {
    const now = request.atMs ?? this.last?.timeMs ?? this.options.startMs;
    const actor = request.actor ?? SYSTEM_ACTOR;
    const operator = actor.user ?? 'the console';
    const scheduled = actor.peer === 'schedule';
    const check = this.checkCommand(command, now);
    const record = (result: 'ok' | 'refused' | 'failed', reason: string) =>
      this.audit.record({
        atMs: now,
        actor,
        action: 'control/command',
        what: `${scheduled ? 'scheduled: ' : ''}${describeCommand(command)}`,
        result,
        reason,
      });
    if (!check.ok) {
      const audit = record('refused', check.reason);
      this.note('command', `${describeCommand(command)} by ${operator} refused: ${check.reason}`, now);
      return { ...check, done: false, auditId: audit.id, atMs: now };
    }
    this.note('command', `${describeCommand(command)} by ${operator} (${actor.transport})`, now);
    let result: ActuatorResult = { ok: true };
    switch (command.kind) {
      case 'island':
        if (command.atMs !== undefined && command.atMs > now + 1000)
          this.schedule.push({ atMs: command.atMs, command: { kind: 'island' }, actor });
        else await this.startPlanned(`island commanded by ${operator}`, now);
        break;
      case 'reconnect':
        if (this.mode === 'planned-islanding') await this.abortPlanned(`cancelled by ${operator}`, now);
        else {
          this.reconnectWanted = true;
          if (this.mode === 'islanded' && this.grid.status === 'present')
            this.enter('resynchronising', `reconnect commanded by ${operator}`, now);
        }
        break;
      case 'shed':
        result = await this.switchTier(
          { tier: command.tier, shed: true, reason: `shed by ${operator}` },
          now,
          true,
        );
        break;
      case 'restore':
        this.shedder.release(command.tier);
        result = await this.switchTier(
          { tier: command.tier, shed: false, reason: `restored by ${operator}` },
          now,
          true,
        );
        break;
      case 'battery-mode':
        if (command.mode === 'setpoint') {
          result = await this.act.setBatterySetpoint(command.setpointKW ?? 0, `set by ${operator}`);
          if (!result.ok) break;
        }
        result = await this.setPoolMode(command.mode, `set by ${operator}`, now);
        break;
      case 'cancel-schedule':
        this.schedule = [];
        break;
    }
    const audit = record(result.ok ? 'ok' : 'failed', result.ok ? check.reason : result.reason);
    return {
      ...check,
      done: result.ok,
      reason: result.ok ? check.reason : result.reason,
      auditId: audit.id,
      atMs: now,
    };
  }

  private async runSchedule(now: number): Promise<void> {
    const due = this.schedule.filter((s) => s.atMs <= now);
    if (due.length === 0) return;
    this.schedule = this.schedule.filter((s) => s.atMs > now);
    for (const entry of due)
      // A scheduled command runs as the console, on behalf of the user who scheduled it.
      await this.runCommand(entry.command, {
        actor: { ...entry.actor, transport: 'system', peer: 'schedule' },
        atMs: now,
      });
  }

  // ── bookkeeping ──────────────────────────────────────────────────────────────────────────

  private enter(to: ControlMode, reason: string, now: number): void {
    const transition: ControlTransition = { atMs: now, from: this.mode, to, reason };
    this.transitions.push(transition);
    this.mode = to;
    this.sinceMs = now;
    this.reason = reason;
    this.modes.note(now, to);
    this.note('transition', `${transition.from} → ${to}: ${reason}`, now);
    this.options.onTransition?.(transition);
  }

  private note(kind: ControlEventKind, message: string, now: number): void {
    const event: ControlEvent = { id: this.nextEventId++, atMs: now, kind, message };
    this.events.push(event);
    if (this.events.length > KEEP_EVENTS) this.events.splice(0, this.events.length - KEEP_EVENTS);
    this.options.onEvent?.(event);
  }

  private raise(code: string, severity: AlarmSeverity, message: string, now: number): void {
    const wasActive = this.alarms.isActive(code);
    this.alarms.raise(code, severity, message, now);
    if (!wasActive) this.note('alarm', message, now);
  }

  private clearOutageAlarms(now: number): void {
    for (const code of ['grid-lost', 'blackout', 'sync-check', 'breaker-close', 'breaker-stuck'])
      this.alarms.clear(code, now);
  }

  private watchMeters(m: Measurements, now: number): void {
    if (this.connected) {
      if (m.pcc?.quality !== 'good')
        this.raise(
          'pcc-meter',
          'warning',
          'PCC meter not answering: grid loss is detected only from the breaker trip flag',
          now,
        );
      else this.alarms.clear('pcc-meter', now);
    }
    if (m.pool.socFraction === null) {
      const unseen = m.pool.batteries.filter((b) => b.socFraction === null).map((b) => b.id);
      this.raise(
        'pool-soc',
        'warning',
        `Battery pool SoC unknown${unseen.length > 0 ? ` (no SoC from ${unseen.join(', ')})` : ''}: shedding by SoC is suspended; shed tiers stay shed and none is restored until it is known`,
        now,
      );
    } else this.alarms.clear('pool-soc', now);
    for (const b of m.pool.batteries) {
      if (b.available === false)
        this.raise(
          `battery-${b.id}`,
          'warning',
          `Battery inverter ${b.id} unavailable (fault or not answering)`,
          now,
        );
      else if (b.available === true) this.alarms.clear(`battery-${b.id}`, now);
    }
  }

  private sizeReserve(now: number): void {
    if (now - this.reserve.sizedMs < RESERVE_PERIOD_MS) return;
    const r = this.forecast.essentialReserve(
      now,
      this.config.reserveHours,
      this.config.shedding.floorSoC,
      this.config.reserveMargin,
    );
    this.reserve = { kWh: r.kWh, soc: r.soc, sizedMs: now };
  }

  /**
   * The pool as the shedding rules see it. With SoC unknown (an inverter silent) the rules shed
   * and restore nothing by SoC: restoring could drain a battery nobody can see, and shedding on a
   * communication fault would cut members for no measured reason; the alarm asks the operator.
   * The overload rule still acts on what is known: with the pool's total power unknown, it
   * weighs the inverters that answer, their power against their own rating.
   */
  private poolView(m: Measurements | null, now: number): PoolView {
    let poolKW = m?.pool.powerKW ?? null;
    let availableKW = m ? availableRatedKW(m) : 0;
    if (m && poolKW === null) {
      const answering = m.pool.batteries.filter((b) => b.available === true && b.powerKW !== null);
      if (answering.length > 0) {
        poolKW = answering.reduce((sum, b) => sum + (b.powerKW ?? 0), 0);
        availableKW = answering.reduce((sum, b) => sum + b.ratedKW, 0);
      }
    }
    return {
      timeMs: now,
      socFraction: m?.pool.socFraction ?? null,
      poolKW,
      availableKW,
      reserveSoC: this.reserve.soc,
    };
  }

  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn, fn);
    this.queue = run.catch(() => undefined);
    return run;
  }
}
