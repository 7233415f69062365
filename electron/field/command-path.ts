// The one path by which the console writes to field devices: battery mode and setpoint, the PCC
// breaker, load-shed relays and PV curtailment. Every command is validated (shape, ranges, the
// device's kind and map), checked against interlocks, written over the poller's own connection
// (so a gateway's wire stays serialized), read back, and recorded in the audit log whatever its
// outcome. A refused or failed command says why. Commands to one device never interleave.
import {
  fieldCommandSchema,
  type CommandResult,
  type CommandStatus,
  type FieldCommand,
} from '../../shared/api/field-api.ts';
import type { DeviceLive } from '../../shared/api/live.ts';
import type { CustomPoint, Device, SiteFile } from '../../shared/site/schema.ts';
import { formatProblems, problemsFromZod } from '../../shared/validation/problems.ts';
import type { AuditLog } from './audit-log.ts';
import { decodeCustomPoint, encodeCustomPoint, registerCount } from './custom-map.ts';
import { SunSpecDriver, type DeviceDriver, type UnitIo } from './device-drivers.ts';
import { readSunSpecModel, ReadBackError, writeSunSpecPoints, WriteRefusedError } from './sunspec-writes.ts';
import type { ModelLocation } from './sunspec/discovery.ts';
import { STORAGE_MODE_MODEL_ID, type StorageModeSymbol } from './vendor-models.ts';

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
  execute(command: FieldCommand, actor: string): Promise<CommandResult>;
  /** Installs interlock hooks (those not given keep their current behaviour). */
  setInterlocks(hooks: Partial<Interlocks>): void;
  onResult(listener: (result: CommandResult) => void): () => void;
}

class Refused extends Error {}

const BREAKER_SETTLE_MS = 2000;
const READ_BACK_POLL_MS = 100;

const modeSymbols: Record<string, StorageModeSymbol> = {
  'self-consumption': 'SELF_CONSUMPTION',
  setpoint: 'SETPOINT',
  'grid-forming': 'GRID_FORMING',
  standby: 'STANDBY',
};

export class CommandPath implements FieldCommands {
  private interlocks: Interlocks;
  private readonly locks = new Map<string, Promise<unknown>>();
  private readonly listeners = new Set<(result: CommandResult) => void>();

  constructor(
    private readonly site: SiteFile,
    private readonly targets: CommandTargets,
    private readonly audit: AuditLog,
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

  async execute(input: FieldCommand, actor: string): Promise<CommandResult> {
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
    const id = this.audit.append({ timeMs: started, actor, command, target, status, reason, durationMs });
    const result: CommandResult = {
      id,
      status,
      reason,
      command,
      actor,
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

  private async run(command: FieldCommand): Promise<Record<string, number | string>> {
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

  private async sunspecModels(
    id: string,
    target: ReturnType<CommandPath['device']>,
  ): Promise<ModelLocation[]> {
    if (!(target.driver instanceof SunSpecDriver))
      throw new Refused(`device '${id}' has a custom register map; this command needs its SunSpec models`);
    return target.driver.models(target.io);
  }

  private breakerReadsOpen(): InterlockVerdict {
    if (this.site.grid.kind === 'off-grid') return { ok: true, reason: 'off-grid site' };
    const breaker = this.targets.target(this.site.grid.pcc.breaker);
    const reading = breaker?.live.readings.breakerClosed;
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

  private async batteryMode(id: string, mode: string): Promise<Record<string, number | string>> {
    const target = this.device(id, ['battery-inverter']);
    if (mode === 'grid-forming') this.check(() => this.interlocks.canGridForm(id), `grid-forming on '${id}'`);
    const models = await this.sunspecModels(id, target);
    const vendor = models.find((m) => m.id === STORAGE_MODE_MODEL_ID);
    if (!vendor)
      throw new Refused(
        `device '${id}' has no storage mode model ${STORAGE_MODE_MODEL_ID} in its SunSpec map: its operating mode cannot be set from here`,
      );
    const symbol = modeSymbols[mode] as StorageModeSymbol;
    await writeSunSpecPoints(target.io, vendor, [['Mod', symbol]]);
    const state = await this.settle(
      () => readSunSpecModel(target.io, vendor),
      (m) => m.points.ModSt?.symbol === symbol,
      BREAKER_SETTLE_MS,
    );
    if (state.points.ModSt?.symbol !== symbol)
      throw new ReadBackError(
        `device '${id}' accepted mode ${symbol} but still runs ${String(state.points.ModSt?.value ?? 'unknown')}`,
      );
    this.targets.pollNow?.(id);
    return { Mod: symbol, ModSt: symbol };
  }

  private async batterySetpoint(id: string, powerKW: number): Promise<Record<string, number | string>> {
    const target = this.device(id, ['battery-inverter']);
    const models = await this.sunspecModels(id, target);
    const storage = models.find((m) => m.id === 124);
    if (!storage) throw new Refused(`device '${id}' has no SunSpec storage model 124`);
    const current = await readSunSpecModel(target.io, storage);
    const wChaMax = current.points.WChaMax;
    const ratedKW =
      wChaMax?.implemented && typeof wChaMax.value === 'number' && wChaMax.value > 0
        ? wChaMax.value / 1000
        : target.device.ratedKW;
    if (!ratedKW) throw new Refused(`device '${id}' reports no WChaMax and the site file gives no ratedKW`);
    if (Math.abs(powerKW) > ratedKW + 1e-9)
      throw new Refused(
        `setpoint ${powerKW} kW is outside '${id}''s range of -${ratedKW} to ${ratedKW} kW (positive discharges)`,
      );
    const pct = (Math.abs(powerKW) / ratedKW) * 100;
    const flags = powerKW > 0 ? ['DiSCHARGE'] : powerKW < 0 ? ['CHARGE'] : [];
    const after = await writeSunSpecPoints(target.io, storage, [
      ['OutWRte', powerKW > 0 ? pct : 0],
      ['InWRte', powerKW < 0 ? pct : 0],
      ['StorCtl_Mod', flags],
    ]);
    const readBack: Record<string, number | string> = {
      OutWRte: Number(after.points.OutWRte?.value ?? NaN),
      InWRte: Number(after.points.InWRte?.value ?? NaN),
      StorCtl_Mod: (after.points.StorCtl_Mod?.value as string[] | null)?.join('|') ?? '',
    };
    const vendor = models.find((m) => m.id === STORAGE_MODE_MODEL_ID);
    if (vendor) {
      // A setpoint means nothing until the inverter follows setpoints.
      const mode = await writeSunSpecPoints(target.io, vendor, [['Mod', 'SETPOINT']]);
      readBack.Mod = String(mode.points.Mod?.value ?? '');
    }
    this.targets.pollNow?.(id);
    return readBack;
  }

  // ---- PCC breaker --------------------------------------------------------------------------

  private async breaker(close: boolean): Promise<Record<string, number | string>> {
    if (this.site.grid.kind !== 'connected') throw new Refused('an off-grid site has no PCC breaker');
    const id = this.site.grid.pcc.breaker;
    const target = this.device(id, ['pcc-breaker']);
    if (close) this.check(() => this.interlocks.canClosePcc(), 'closing the PCC breaker');
    const points = customPoints(target.device);
    const command = points.find((p) => p.quantity === 'breakerCommand');
    const position = points.find((p) => p.quantity === 'breakerClosed');
    if (!command || !position)
      throw new Refused(
        `device '${id}': its register map needs a breakerCommand point and a breakerClosed point`,
      );
    await target.io.write(command.address, encodeCustomPoint(command, close ? 1 : 0));
    const closed = await this.settle(
      () => readCustom(target.io, position),
      (v) => (v !== 0) === close,
      BREAKER_SETTLE_MS,
    );
    if ((closed !== 0) !== close)
      throw new ReadBackError(
        `PCC breaker '${id}' was told to ${close ? 'close' : 'open'} but still reads ${closed !== 0 ? 'closed' : 'open'} after ${BREAKER_SETTLE_MS} ms`,
      );
    this.targets.pollNow?.(id);
    return { breakerClosed: closed };
  }

  // ---- load shedding ------------------------------------------------------------------------

  private async memberShed(memberId: string, shed: boolean): Promise<Record<string, number | string>> {
    const member = this.site.members.find((m) => m.id === memberId);
    if (!member) throw new Refused(`no member '${memberId}' in the site file`);
    if (!member.shedRelay)
      throw new Refused(`member '${memberId}' has no shed relay (members[].shedRelay in the site file)`);
    const target = this.device(member.shedRelay, ['shed-relay']);
    const point = customPoints(target.device).find((p) => p.name === memberId);
    if (!point)
      throw new Refused(
        `shed relay '${member.shedRelay}' has no point named '${memberId}' in its register map`,
      );
    await target.io.write(point.address, encodeCustomPoint(point, shed ? 1 : 0));
    const value = await readCustom(target.io, point);
    if ((value !== 0) !== shed)
      throw new ReadBackError(
        `relay for '${memberId}' on '${member.shedRelay}' reads ${value} after being told to ${shed ? 'shed (1)' : 'reconnect (0)'}`,
      );
    this.targets.pollNow?.(member.shedRelay);
    return { [memberId]: value };
  }

  private async tierShed(tier: number, shed: boolean): Promise<Record<string, number | string>> {
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

  private async curtail(id: string, fraction: number): Promise<Record<string, number | string>> {
    const target = this.device(id, ['pv-inverter']);
    const models = await this.sunspecModels(id, target);
    const pct = Math.round(fraction * 1000) / 10;
    const lift = fraction >= 1;
    const controls = models.find((m) => m.id === 123);
    const der = models.find((m) => m.id === 704);
    let after;
    if (controls)
      after = await writeSunSpecPoints(target.io, controls, [
        ['WMaxLimPct', pct],
        ['WMaxLim_Ena', lift ? 'DISABLED' : 'ENABLED'],
      ]);
    else if (der)
      after = await writeSunSpecPoints(target.io, der, [
        ['WMaxLimPct', pct],
        ['WMaxLimPctEna', lift ? 'DISABLED' : 'ENABLED'],
      ]);
    else throw new Refused(`device '${id}' has neither SunSpec model 123 nor 704: it cannot be curtailed`);
    this.targets.pollNow?.(id);
    return {
      WMaxLimPct: Number(after.points.WMaxLimPct?.value ?? NaN),
      enabled: String(after.points.WMaxLim_Ena?.value ?? after.points.WMaxLimPctEna?.value ?? ''),
    };
  }

  private async settle<T>(read: () => Promise<T>, done: (value: T) => boolean, withinMs: number): Promise<T> {
    const deadline = this.now() + withinMs;
    for (;;) {
      const value = await read();
      if (done(value) || this.now() >= deadline) return value;
      await new Promise((r) => setTimeout(r, READ_BACK_POLL_MS));
    }
  }
}

function customPoints(device: Device): CustomPoint[] {
  return device.registerMap.type === 'custom' ? device.registerMap.points : [];
}

async function readCustom(io: UnitIo, point: CustomPoint): Promise<number> {
  const regs = await io.read(point.function, point.address, registerCount(point.type));
  return decodeCustomPoint(point, regs, 0);
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
