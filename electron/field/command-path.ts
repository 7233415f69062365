// The one path by which the console writes to field devices: battery mode and setpoint, the PCC
// breaker, load-shed relays and PV curtailment. Every command is validated (shape, ranges, the
// device's kind and map), checked against interlocks, written over the poller's own connection
// (so a gateway's wire stays serialized), read back, and recorded in the audit log whatever its
// outcome. A refused or failed command says why. Commands to one device never interleave.
// The path knows devices by kind and role, never by register map: each write goes to the
// device's driver as a control quantity, and the driver writes it and reads it back.
import {
  fieldCommandSchema,
  type CommandResult,
  type CommandStatus,
  type FieldCommand,
} from '../../shared/api/field-api.ts';
import type { BatteryMode } from '../../shared/api/control-api.ts';
import type { DeviceLive } from '../../shared/api/live.ts';
import { readingNow } from '../../shared/live/reading-quality.ts';
import type { Device, SiteFile } from '../../shared/site/schema.ts';
import { formatProblems, problemsFromZod } from '../../shared/validation/problems.ts';
import type { AuditActor, AuditTrail } from '../platform/audit-trail.ts';
import type { DeviceDriver } from './device-drivers.ts';
import { ReadBackError, WriteRefusedError, type ReadBack, type WriteRequest } from './device-writes.ts';
import type { UnitIo } from './unit-io.ts';

export interface InterlockVerdict {
  ok: boolean;
  reason: string;
}

/**
 * Checks another part of the console provides (the islanding controller). Each is asked just
 * before the write it guards; a throwing hook counts as a refusal.
 */
export interface Interlocks {
  /** May the PCC breaker close now (synchronism check passed)? Default: no check available, refuse. */
  canClosePcc(): InterlockVerdict;
  /**
   * May a battery inverter form the grid now? Default: only while the PCC breaker reads open (or
   * the site is off-grid), so a grid-forming inverter never fights the grid.
   */
  canGridForm(device: string): InterlockVerdict;
}

/** What the command path needs from the poller: a device's connection and its last state. */
export interface CommandTargets {
  target(id: string): { device: Device; io: UnitIo; driver: DeviceDriver; live: DeviceLive } | undefined;
  pollNow?(id: string): void;
}

/** The interface other parts (the islanding controller, the API) use to command field devices. */
export interface FieldCommands {
  /** Runs a command for `actor` (from the caller's session, or the console itself); `why` is audited with it. */
  execute(command: FieldCommand, actor: AuditActor, why?: string): Promise<CommandResult>;
  /** Installs interlock hooks (those not given keep their current behaviour). */
  setInterlocks(hooks: Partial<Interlocks>): void;
  onResult(listener: (result: CommandResult) => void): () => void;
}

class Refused extends Error {}

export class CommandPath implements FieldCommands {
  private interlocks: Interlocks;
  private readonly locks = new Map<string, Promise<unknown>>();
  private readonly listeners = new Set<(result: CommandResult) => void>();

  constructor(
    private readonly site: SiteFile,
    private readonly targets: CommandTargets,
    private readonly audit: AuditTrail,
    private readonly now: () => number = Date.now,
  ) {
    this.interlocks = {
      canClosePcc: () => ({ ok: false, reason: 'no sync check available' }),
      canGridForm: () => this.breakerReadsOpen(),
    };
  }

  setInterlocks(hooks: Partial<Interlocks>): void {
    this.interlocks = { ...this.interlocks, ...hooks };
  }

  onResult(listener: (result: CommandResult) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async execute(input: FieldCommand, actor: AuditActor, why = ''): Promise<CommandResult> {
    const started = this.now();
    const parsed = fieldCommandSchema.safeParse(input);
    let status: CommandStatus = 'done';
    let reason: string | null = null;
    let readBack: Record<string, number | string> = {};
    const command = parsed.success ? parsed.data : input;
    const target = targetOf(command, this.site);
    if (!parsed.success) {
      status = 'refused';
      reason = `invalid command: ${formatProblems(problemsFromZod(parsed.error)).replace(/\n/g, '; ')}`;
    } else {
      try {
        readBack = await this.serialized(target, () => this.run(parsed.data));
      } catch (error) {
        status = error instanceof Refused || error instanceof WriteRefusedError ? 'refused' : 'failed';
        reason = error instanceof Error ? error.message : String(error);
        if (status === 'failed' && !(error instanceof ReadBackError))
          reason += '; the command may or may not have taken effect: check the device';
      }
    }
    const durationMs = this.now() - started;
    const { id } = this.audit.record({
      atMs: started,
      actor,
      action: 'field/command',
      what: `${describeFieldCommand(command)}${why ? ` (${why})` : ''}`,
      result: status === 'done' ? 'ok' : status,
      reason: reason ?? `done in ${Math.round(durationMs)} ms`,
    });
    const result: CommandResult = {
      id,
      status,
      reason,
      command,
      actor: actor.user ?? (why ? `the console: ${why}` : 'the console'),
      timeMs: started,
      durationMs,
      readBack,
    };
    for (const listener of this.listeners) listener(result);
    return result;
  }

  private async serialized<T>(key: string, work: () => Promise<T>): Promise<T> {
    const previous = this.locks.get(key) ?? Promise.resolve();
    const next = previous.catch(() => undefined).then(work);
    this.locks.set(key, next);
    try {
      return await next;
    } finally {
      if (this.locks.get(key) === next) this.locks.delete(key);
    }
  }

  private async run(command: FieldCommand): Promise<ReadBack> {
    switch (command.kind) {
      case 'battery-mode':
        return this.batteryMode(command.device, command.mode);
      case 'battery-setpoint':
        return this.batterySetpoint(command.device, command.powerKW);
      case 'pcc-breaker':
        return this.breaker(command.close);
      case 'member-shed':
        return this.memberShed(command.member, command.shed);
      case 'tier-shed':
        return this.tierShed(command.tier, command.shed);
      case 'pv-curtail':
        return this.curtail(command.device, command.limitFraction);
    }
  }

  // ---- devices ------------------------------------------------------------------------------

  private device(id: string, kinds: readonly Device['kind'][]) {
    const target = this.targets.target(id);
    if (!target) throw new Refused(`no device '${id}' in the site file`);
    if (!kinds.includes(target.device.kind))
      throw new Refused(`device '${id}' is a ${target.device.kind}, not a ${kinds.join(' or ')}`);
    if (target.live.state !== 'online')
      throw new Refused(
        `device '${id}' is ${target.live.state === 'connecting' ? 'not read yet' : `offline (${target.live.error ?? 'no answer'})`}: its present state is unknown, so nothing was written`,
      );
    return target;
  }

  /** Writes one control quantity through the device's driver, then polls the device at once. */
  private async write(
    id: string,
    kinds: readonly Device['kind'][],
    request: WriteRequest,
  ): Promise<ReadBack> {
    const target = this.device(id, kinds);
    const readBack = await target.driver.write(target.io, request);
    this.targets.pollNow?.(id);
    return readBack;
  }

  private breakerReadsOpen(): InterlockVerdict {
    if (this.site.grid.kind === 'off-grid') return { ok: true, reason: 'off-grid site' };
    const breaker = this.targets.target(this.site.grid.pcc.breaker);
    const last = breaker?.live.readings.breakerClosed;
    // Aged by the one quality policy: a position last read good but long ago is not known now.
    const reading = breaker && last ? readingNow(last, breaker.device.pollPeriodMs, this.now()) : undefined;
    if (!reading || reading.quality !== 'good')
      return {
        ok: false,
        reason:
          'the PCC breaker position is unknown: a grid-forming inverter must not risk running against the grid',
      };
    if (reading.value !== 0)
      return {
        ok: false,
        reason: 'the PCC breaker is closed: open it (island) before putting an inverter in grid-forming mode',
      };
    return { ok: true, reason: 'PCC breaker open' };
  }

  private check(verdict: () => InterlockVerdict, what: string): void {
    let result: InterlockVerdict;
    try {
      result = verdict();
    } catch (error) {
      result = { ok: false, reason: `the interlock check failed: ${(error as Error).message}` };
    }
    if (!result.ok) throw new Refused(`interlock: ${what} refused: ${result.reason}`);
  }

  // ---- battery ------------------------------------------------------------------------------

  private async batteryMode(id: string, mode: BatteryMode): Promise<ReadBack> {
    this.device(id, ['battery-inverter']);
    if (mode === 'grid-forming') this.check(() => this.interlocks.canGridForm(id), `grid-forming on '${id}'`);
    return this.write(id, ['battery-inverter'], { quantity: 'batteryMode', mode });
  }

  private async batterySetpoint(id: string, powerKW: number): Promise<ReadBack> {
    return this.write(id, ['battery-inverter'], { quantity: 'batterySetpointKW', valueKW: powerKW });
  }

  // ---- PCC breaker --------------------------------------------------------------------------

  private async breaker(close: boolean): Promise<ReadBack> {
    if (this.site.grid.kind !== 'connected') throw new Refused('an off-grid site has no PCC breaker');
    const id = this.site.grid.pcc.breaker;
    this.device(id, ['pcc-breaker']);
    if (close) this.check(() => this.interlocks.canClosePcc(), 'closing the PCC breaker');
    return this.write(id, ['pcc-breaker'], { quantity: 'breakerClosed', closed: close });
  }

  // ---- load shedding ------------------------------------------------------------------------

  private async memberShed(memberId: string, shed: boolean): Promise<ReadBack> {
    const member = this.site.members.find((m) => m.id === memberId);
    if (!member) throw new Refused(`no member '${memberId}' in the site file`);
    if (!member.shedRelay)
      throw new Refused(`member '${memberId}' has no shed relay (members[].shedRelay in the site file)`);
    // A relay board's channel for a member is named for the member.
    return this.write(member.shedRelay, ['shed-relay'], { quantity: 'shedRelay', channel: memberId, shed });
  }

  private async tierShed(tier: number, shed: boolean): Promise<ReadBack> {
    const members = this.site.members.filter((m) => m.priorityTier === tier && m.shedRelay);
    if (members.length === 0) throw new Refused(`no member of tier ${tier} has a shed relay`);
    const readBack: Record<string, number | string> = {};
    const failures: string[] = [];
    for (const member of members) {
      try {
        Object.assign(readBack, await this.memberShed(member.id, shed));
      } catch (error) {
        failures.push(`${member.id}: ${(error as Error).message}`);
      }
    }
    if (failures.length > 0)
      throw new Error(
        `${failures.length} of ${members.length} members of tier ${tier} were not ${shed ? 'shed' : 'reconnected'}: ${failures.join('; ')}`,
      );
    return readBack;
  }

  // ---- PV curtailment -----------------------------------------------------------------------

  private async curtail(id: string, fraction: number): Promise<ReadBack> {
    return this.write(id, ['pv-inverter'], { quantity: 'pvLimitFraction', fraction });
  }
}

function targetOf(command: FieldCommand, site: SiteFile): string {
  switch (command.kind) {
    case 'battery-mode':
    case 'battery-setpoint':
    case 'pv-curtail':
      return command.device;
    case 'pcc-breaker':
      return site.grid.kind === 'connected' ? site.grid.pcc.breaker : 'pcc';
    case 'member-shed':
      return command.member;
    case 'tier-shed':
      return `tier ${command.tier}`;
    default: {
      // Only an invalid command (refused before any write) gets here.
      const device = (command as { device?: unknown }).device;
      return typeof device === 'string' ? device : 'unknown';
    }
  }
}

/** A command in words, for the audit (`tier-shed tier 3 on`, `pcc-breaker open`). */
export function describeFieldCommand(command: FieldCommand): string {
  switch (command.kind) {
    case 'pcc-breaker':
      return `PCC breaker ${command.close ? 'close' : 'open'}`;
    case 'battery-mode':
      return `${command.device} to ${command.mode}`;
    case 'battery-setpoint':
      return `${command.device} setpoint ${command.powerKW} kW`;
    case 'member-shed':
      return `${command.shed ? 'shed' : 'restore'} member ${command.member}`;
    case 'tier-shed':
      return `${command.shed ? 'shed' : 'restore'} tier ${command.tier}`;
    case 'pv-curtail':
      return `${command.device} limited to ${Math.round(command.limitFraction * 100)} %`;
  }
}
