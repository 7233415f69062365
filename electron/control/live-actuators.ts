// The controller's hands on the live console: each action becomes one or more commands on the
// field command path (validated, interlocked, written over the poller's connections, read back
// and audited there). The path's own answer — done, refused with the interlock's reason, failed
// on read-back — is what the controller sees; nothing is assumed to have happened.
import type { AuditActor } from '../platform/audit-trail.ts';
import type { BatteryMode } from '../../shared/api/control-api.ts';
import type { CommandResult, FieldCommand } from '../../shared/api/field-api.ts';
import type { LiveSnapshot } from '../../shared/api/live.ts';
import type { SiteFile } from '../../shared/site/schema.ts';
import type { FieldCommands, InterlockVerdict } from '../field/command-path.ts';
import { done, failed, type ActuatorResult, type Actuators } from './actuators.ts';

/** A breaker the controller saw open on read-back counts as open this long, until the poller catches up. */
const OPEN_CONFIRMED_MS = 5000;
/** The controller acts as the console itself; its reason goes into the audit with each command. */
const CONTROLLER: AuditActor = { user: null, role: null, transport: 'system', peer: 'islanding controller' };

export class LiveActuators implements Actuators {
  private readonly inverters: Array<{ id: string; ratedKW: number }>;
  private readonly pvInverters: string[];
  private readonly breaker: string | null;
  private breakerOpenConfirmedMs: number | null = null;
  /** When the last command to a device finished (whatever its outcome), epoch ms. */
  lastActionMs: number | null = null;

  constructor(
    site: SiteFile,
    private readonly commands: FieldCommands,
    private readonly snapshot: () => LiveSnapshot,
    private readonly now: () => number = Date.now,
  ) {
    this.inverters = (site.batteryPool?.inverters ?? []).map((id) => ({
      id,
      ratedKW: site.devices.find((d) => d.id === id)?.ratedKW ?? 0,
    }));
    this.pvInverters = site.devices.filter((d) => d.kind === 'pv-inverter').map((d) => d.id);
    this.breaker = site.grid.kind === 'connected' ? site.grid.pcc.breaker : null;
  }

  async openBreaker(reason: string): Promise<ActuatorResult> {
    const r = await this.run({ kind: 'pcc-breaker', close: false }, reason);
    if (r.ok) this.breakerOpenConfirmedMs = this.now();
    return r;
  }

  async closeBreaker(reason: string): Promise<ActuatorResult> {
    const r = await this.run({ kind: 'pcc-breaker', close: true }, reason);
    if (r.ok) this.breakerOpenConfirmedMs = null;
    return r;
  }

  async setBatteryMode(mode: BatteryMode, reason: string, inverter?: string): Promise<ActuatorResult> {
    const targets = this.inverters.filter((b) => inverter === undefined || b.id === inverter);
    if (targets.length === 0) return failed(`no battery inverter ${inverter ?? 'in the pool'}`);
    const results = await Promise.all(
      targets.map((b) => this.run({ kind: 'battery-mode', device: b.id, mode }, reason)),
    );
    return this.combine(
      targets.map((b) => b.id),
      results,
    );
  }

  async setBatterySetpoint(powerKW: number, reason: string): Promise<ActuatorResult> {
    const online = new Set(
      this.snapshot()
        .devices.filter((d) => d.state === 'online')
        .map((d) => d.id),
    );
    const ready = this.inverters.filter((b) => online.has(b.id) && b.ratedKW > 0);
    if (ready.length === 0) return failed('no battery inverter of the pool is answering');
    const rated = ready.reduce((sum, b) => sum + b.ratedKW, 0);
    const results = await Promise.all(
      ready.map((b) =>
        this.run(
          { kind: 'battery-setpoint', device: b.id, powerKW: round3((powerKW * b.ratedKW) / rated) },
          reason,
        ),
      ),
    );
    return this.combine(
      ready.map((b) => b.id),
      results,
    );
  }

  async setPvLimit(fraction: number, reason: string): Promise<ActuatorResult> {
    if (this.pvInverters.length === 0) return failed('the site has no PV inverter that can be curtailed');
    const limitFraction = Math.min(1, Math.max(0, round3(fraction)));
    const results = await Promise.all(
      this.pvInverters.map((device) => this.run({ kind: 'pv-curtail', device, limitFraction }, reason)),
    );
    return this.combine(this.pvInverters, results);
  }

  async setTierShed(tier: number, shed: boolean, reason: string): Promise<ActuatorResult> {
    return this.run({ kind: 'tier-shed', tier, shed }, reason);
  }

  /**
   * The grid-forming interlock of the command path: an inverter may form only while the PCC
   * breaker is open. Just after the controller opened it, the read-back is fresher than the
   * poller's last reading, so a confirmed opening counts for a few seconds.
   */
  canGridForm(): InterlockVerdict {
    if (this.breaker === null) return { ok: true, reason: 'off-grid site' };
    const device = this.snapshot().devices.find((d) => d.id === this.breaker);
    const reading = device?.state === 'online' ? device.readings.breakerClosed : undefined;
    const fresh = reading && reading.quality === 'good' && reading.value !== null ? reading : null;
    const confirmed =
      this.breakerOpenConfirmedMs !== null && this.now() - this.breakerOpenConfirmedMs <= OPEN_CONFIRMED_MS;
    if (fresh && fresh.value === 0) return { ok: true, reason: 'PCC breaker open' };
    if (confirmed && (!fresh || fresh.timeMs <= (this.breakerOpenConfirmedMs ?? 0)))
      return { ok: true, reason: 'PCC breaker confirmed open on read-back' };
    if (!fresh)
      return {
        ok: false,
        reason:
          'the PCC breaker position is unknown: a grid-forming inverter must not risk running against the grid',
      };
    return { ok: false, reason: 'the PCC breaker is closed: island before forming the grid' };
  }

  private async run(command: FieldCommand, reason: string): Promise<ActuatorResult> {
    let result: CommandResult;
    try {
      result = await this.commands.execute(command, CONTROLLER, reason.slice(0, 200));
    } catch (error) {
      return failed(error instanceof Error ? error.message : String(error));
    } finally {
      this.lastActionMs = this.now();
    }
    return result.status === 'done' ? done : failed(result.reason ?? result.status);
  }

  /** Done when at least one device did it (the others are named): a pool runs on what it has. */
  private combine(ids: string[], results: ActuatorResult[]): ActuatorResult {
    const failures = results
      .map((r, i) => (r.ok ? null : `${ids[i]}: ${r.reason}`))
      .filter((x): x is string => x !== null);
    if (failures.length === results.length) return failed(failures.join('; '));
    return done;
  }
}

function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}
