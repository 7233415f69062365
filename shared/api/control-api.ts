// The control calls of the API (see contract.ts): the microgrid controller's state machine
// (IEEE 2030.7 dispatch and transitions), operator commands with confirmation and audit, alarms,
// and the control picture the 3D topology draws.
import { changes, reads, type CallAccess } from './access.ts';
import { batteryModes, type BatteryMode } from './battery-modes.ts';
import { z } from 'zod';
import type { EpochMs } from '../units.ts';

/** The controller's modes. `off-grid` is the steady state of a site without a grid connection. */
export const controlModes = [
  'grid-connected',
  'planned-islanding',
  'unplanned-islanding',
  'islanded',
  'resynchronising',
  'reconnecting',
  'blackout',
  'black-start',
  'off-grid',
] as const;
export type ControlMode = (typeof controlModes)[number];

/** How the battery pool's inverters run (positive setpoints discharge); declared in battery-modes.ts. */
export { batteryModes, type BatteryMode };

export const operatorCommandSchema = z.discriminatedUnion('kind', [
  z
    .object({
      kind: z.literal('island'),
      /** When set and in the future, the islanding is scheduled for then (epoch ms). */
      atMs: z.number().int().nonnegative().optional(),
    })
    .strict(),
  z.object({ kind: z.literal('reconnect') }).strict(),
  z.object({ kind: z.literal('shed'), tier: z.number().int().min(0).max(9) }).strict(),
  z.object({ kind: z.literal('restore'), tier: z.number().int().min(0).max(9) }).strict(),
  z
    .object({
      kind: z.literal('battery-mode'),
      mode: z.enum(batteryModes),
      /** Pool total for `setpoint`, kW, positive discharging. */
      setpointKW: z.number().min(-10_000).max(10_000).optional(),
    })
    .strict(),
  z.object({ kind: z.literal('cancel-schedule') }).strict(),
]);
export type OperatorCommand = z.infer<typeof operatorCommandSchema>;

/** What a command would do, or why it is refused: shown to the operator before they confirm. */
export interface CommandCheck {
  ok: boolean;
  /** Why it is refused (ok false), or a caution the operator should read (ok true); may be empty. */
  reason: string;
  /** What will happen, in a sentence or two. */
  summary: string;
}

export interface CommandOutcome extends CommandCheck {
  /** False when the command was accepted but a device did not do what it was told. */
  done: boolean;
  auditId: number;
  atMs: EpochMs;
}

export interface ControlTransition {
  atMs: EpochMs;
  from: ControlMode;
  to: ControlMode;
  reason: string;
}

export type AlarmSeverity = 'critical' | 'warning' | 'info';

export interface ControlAlarm {
  id: number;
  /** Stable name of the condition (grid-lost, blackout, breaker-stuck, ...): one active alarm per code. */
  code: string;
  severity: AlarmSeverity;
  message: string;
  raisedMs: EpochMs;
  clearedMs: EpochMs | null;
  acknowledged: boolean;
}

export type ControlEventKind =
  'transition' | 'command' | 'alarm' | 'shed' | 'restore' | 'breaker' | 'battery' | 'pv' | 'sync' | 'info';

export interface ControlEvent {
  id: number;
  atMs: EpochMs;
  kind: ControlEventKind;
  message: string;
}

export interface SyncCheckResult {
  ok: boolean;
  reason: string;
  voltageDiffPct: number | null;
  frequencyDiffHz: number | null;
  phaseDiffDeg: number | null;
}

export interface ShedTierState {
  tier: number;
  essential: boolean;
  members: string[];
  shed: boolean;
  /** Shed or held by the operator: the controller does not restore it by itself. */
  manual: boolean;
  /** Islanded, the tier is shed when the pool's SoC falls below this, and restored above the other. */
  shedBelowSoC: number;
  restoreAboveSoC: number;
  /** Load of the tier now (measured when connected, forecast when shed), kW. */
  loadKW: number | null;
  switchings: number;
  lastSwitchMs: EpochMs | null;
}

export interface ControlState {
  timeMs: EpochMs;
  siteKind: 'connected' | 'off-grid';
  mode: ControlMode;
  sinceMs: EpochMs;
  reason: string;
  pcc: {
    quality: 'good' | 'unknown';
    voltageV: number | null;
    frequencyHz: number | null;
    powerKW: number | null;
    breakerClosed: boolean | null;
    breakerTripped: boolean | null;
    gridStatus: 'present' | 'lost' | 'unknown';
    gridReason: string;
    /** How long the grid has been within the reconnection band, seconds; null while it is not. */
    gridStableForS: number | null;
    stableRequiredS: number;
  } | null;
  island: { voltageV: number | null; frequencyHz: number | null; energised: boolean | null };
  pool: {
    socFraction: number | null;
    powerKW: number | null;
    /** Rated power of the inverters that are available, kW. */
    availableKW: number;
    /** SoC kept for the essential loads (forecast × reserve hours, above the floor). */
    reserveSoC: number;
    reserveKWh: number;
    batteries: Array<{
      id: string;
      mode: BatteryMode | null;
      available: boolean | null;
      socFraction: number | null;
      powerKW: number | null;
    }>;
  };
  pvLimitFraction: number;
  tiers: ShedTierState[];
  syncCheck: SyncCheckResult | null;
  schedule: Array<{ atMs: EpochMs; command: OperatorCommand }>;
  alarms: ControlAlarm[];
  transitions: ControlTransition[];
  events: ControlEvent[];
  deadBandKW: number;
}

/** What the 3D topology needs to draw islanded parts, shed members and the breaker: proposed as
 *  `control: ControlSnapshot | null` in LiveSnapshot (shared/api/live.ts). */
export interface ControlSnapshot {
  mode: ControlMode;
  /** The site's buses are not fed from the grid (breaker open or off-grid). */
  islanded: boolean;
  /** The site's buses are live (false in a blackout). */
  energised: boolean;
  breakerClosed: boolean | null;
  shedTiers: number[];
  shedMembers: string[];
  activeAlarms: number;
}

export interface ControlApi {
  'control/state': { request: Record<string, never>; response: ControlState };
  /** What a command would do, or why it would be refused; changes nothing. */
  'control/check': { request: { command: OperatorCommand }; response: CommandCheck };
  /** Runs a command the operator confirmed; refusals come back as `ok: false` with the reason. */
  'control/command': {
    request: { command: OperatorCommand; confirmed: true };
    response: CommandOutcome;
  };
  'control/acknowledge': { request: { alarmId: number }; response: { ok: boolean } };
}

const empty = z.object({}).strict();

export const controlSchemas: { [K in keyof ControlApi]: z.ZodType<ControlApi[K]['request']> } = {
  'control/state': empty,
  'control/check': z.object({ command: operatorCommandSchema }).strict(),
  'control/command': z
    .object({
      command: operatorCommandSchema,
      confirmed: z.literal(true, 'must be true: the operator confirms every command'),
    })
    .strict(),
  'control/acknowledge': z.object({ alarmId: z.number().int().nonnegative() }).strict(),
};

export interface ControlEvents {
  /** The whole control picture, pushed once a second and on every change of mode. */
  'control/state': ControlState;
  'control/event': ControlEvent;
  'control/alarm': ControlAlarm;
}
export const controlEventNames: ReadonlyArray<keyof ControlEvents> = [
  'control/state',
  'control/event',
  'control/alarm',
];

export function describeCommand(command: OperatorCommand): string {
  switch (command.kind) {
    case 'island':
      return command.atMs === undefined ? 'island' : `island at ${new Date(command.atMs).toISOString()}`;
    case 'reconnect':
      return 'reconnect';
    case 'shed':
      return `shed tier ${command.tier}`;
    case 'restore':
      return `restore tier ${command.tier}`;
    case 'battery-mode':
      return command.mode === 'setpoint'
        ? `battery pool to setpoint ${command.setpointKW ?? 0} kW`
        : `battery pool to ${command.mode}`;
    case 'cancel-schedule':
      return 'cancel scheduled commands';
  }
}

/** Who may make each control call (see access.ts). */
export const controlAccess: { [K in keyof ControlApi]: CallAccess } = {
  'control/state': reads(),
  'control/check': reads('operator'),
  'control/command': changes('operator', { recentSignIn: true, auditedByHandler: true }),
  'control/acknowledge': changes('operator'),
};
