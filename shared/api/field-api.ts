// The field calls of the API (see contract.ts): commands to field devices through the one
// command path (validated, interlocked, read back, audited), the audit trail, and
// commissioning — scan an endpoint, read a unit's decoded points, save a device to the site file.
import { changes, reads, type CallAccess } from './access.ts';
import { z } from 'zod';
import {
  customPointSchema,
  deviceSchema,
  type CustomPoint,
  type Device,
  type DeviceKind,
} from '../site/schema.ts';
import type { Problem } from '../validation/problems.ts';
import type { EpochMs } from '../units.ts';
import { batteryModes } from './battery-modes.ts';

const id = z.string().min(1);

export const fieldCommandSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('battery-mode'), device: id, mode: z.enum(batteryModes) }).strict(),
  /** Follow a power setpoint (positive discharges into the network); puts the inverter in setpoint mode. */
  z.object({ kind: z.literal('battery-setpoint'), device: id, powerKW: z.number().finite() }).strict(),
  z.object({ kind: z.literal('pcc-breaker'), close: z.boolean() }).strict(),
  z.object({ kind: z.literal('member-shed'), member: id, shed: z.boolean() }).strict(),
  /** Every member of one priority tier that has a shed relay. */
  z
    .object({ kind: z.literal('tier-shed'), tier: z.number().int().min(0).max(9), shed: z.boolean() })
    .strict(),
  /** Limit a PV inverter to a fraction of its rated power (1 lifts the limit). */
  z.object({ kind: z.literal('pv-curtail'), device: id, limitFraction: z.number().min(0).max(1) }).strict(),
]);
export type FieldCommand = z.infer<typeof fieldCommandSchema>;

/** done: written and read back as commanded; refused: not written (validation or interlock); failed: written or attempted, not confirmed. */
export type CommandStatus = 'done' | 'refused' | 'failed';

export interface CommandResult {
  /** The audit record's id. */
  id: number;
  status: CommandStatus;
  /** Why it was refused or failed, in words a person acts on; null when done. */
  reason: string | null;
  command: FieldCommand;
  actor: string;
  timeMs: EpochMs;
  durationMs: number;
  /** Values read back from the device after the write, by point. */
  readBack: Record<string, number | string>;
}

export interface ScannedModel {
  id: number;
  /** Register address of the model's ID register. */
  offset: number;
  length: number;
}

export interface ScannedUnit {
  unit: number;
  /** Base of the SunSpec map, or null for a unit that answers but has no SunSpec map. */
  base: number | null;
  models: ScannedModel[];
  /** Common model (1) fields, when present. */
  manufacturer?: string;
  model?: string;
  serial?: string;
}

export interface ScanResult {
  scanId: string;
  host: string;
  port: number;
  units: ScannedUnit[];
  durationMs: number;
  cancelled: boolean;
  /** Why the scan ended early (e.g. the endpoint cannot be reached), or null. */
  error: string | null;
}

export interface ScanProgress {
  scanId: string;
  unit: number;
  done: number;
  total: number;
  found: ScannedUnit | null;
}

export interface PointView {
  /** Point name; points of repeating groups as `group[i].point`. */
  name: string;
  value: number | string | string[] | null;
  units: string;
  implemented: boolean;
  writable: boolean;
}

export interface ModelView {
  id: number;
  name: string;
  label: string;
  offset: number;
  length: number;
  /** False for a model this console has no definition of (its registers are not decoded). */
  known: boolean;
  points: PointView[];
  /** Why this model could not be read, or null. */
  error: string | null;
}

export interface UnitView {
  unit: number;
  base: number;
  timeMs: EpochMs;
  models: ModelView[];
}

/** A custom register map a technician can pick for a device without SunSpec (resources/examples). */
export interface MapTemplate {
  /** The example's file name without .json. */
  id: string;
  label: string;
  kind: DeviceKind;
  registerMap: { type: 'custom'; points: CustomPoint[] };
}

/** A unit read through a custom register map: each point decoded with its unit. */
export interface PointsView {
  unit: number;
  timeMs: EpochMs;
  points: PointView[];
  /** Register blocks the unit refused while the rest answered. */
  problems: string[];
}

/** Where a commissioned device goes in the site's topology. */
export const assignmentSchema = z
  .object({
    /** Make it this member's meter. */
    memberMeter: id.optional(),
    /** Make it the shed relay of these members. */
    shedRelayFor: z.array(id).optional(),
    /** Make it the head meter of this branch. */
    branchMeter: id.optional(),
    /** Make it the PCC meter or breaker. */
    pcc: z.enum(['meter', 'breaker']).optional(),
    /** Add it to the battery pool. */
    batteryPool: z.boolean().optional(),
  })
  .strict();
export type Assignment = z.infer<typeof assignmentSchema>;

export type SaveDeviceResult =
  { ok: true; file: string; backup: string | null } | { ok: false; problems: Problem[] };

const hostSchema = z.string().min(1).max(253);
const portSchema = z.number().int().min(1).max(65535);
const unitSchema = z.number().int().min(0).max(255);

export interface EndpointView {
  /** Where the endpoint is actually served (the simulator's port in simulation). */
  host: string;
  port: number;
  /** The endpoint as the site file gives it: what a commissioned device there is saved with. */
  siteHost: string;
  sitePort: number;
  gateway: string | null;
  /** The site's devices there, with their unit ids. */
  devices: Array<{ id: string; unitId: number; kind: string }>;
}

/** The site file commissioning saves into, and whether it may. */
export interface SiteFileView {
  file: string;
  writable: boolean;
  /** Why it may not be written (the bundled demo site, file permissions), or null. */
  reason: string | null;
}

export interface FieldApi {
  /** The site's endpoints as they are actually served (the simulator's ports in simulation). */
  'field/endpoints': { request: Record<string, never>; response: EndpointView[] };
  /** The site file that 'field/save-device' writes, and whether it can. */
  'field/site-file': { request: Record<string, never>; response: SiteFileView };
  /** Runs a command on a device; the audit takes the actor from the caller's session. */
  'field/command': { request: { command: FieldCommand }; response: CommandResult };
  /** Scans an endpoint's unit ids; progress arrives as 'field/scan-progress' events. */
  'field/scan': {
    request: {
      scanId: string;
      host: string;
      port: number;
      fromUnit?: number;
      toUnit?: number;
      timeoutMs?: number;
    };
    response: ScanResult;
  };
  'field/scan-cancel': { request: { scanId: string }; response: { cancelled: boolean } };
  /** Reads and decodes one unit's SunSpec models (all, or those listed). */
  'field/read-unit': {
    request: {
      host: string;
      port: number;
      unitId: number;
      base?: number;
      models?: number[];
      timeoutMs?: number;
    };
    response: UnitView;
  };
  /** The custom register maps shipped as examples, for devices without SunSpec. */
  'field/map-templates': { request: Record<string, never>; response: MapTemplate[] };
  /** Reads and decodes one unit through a custom register map. */
  'field/read-points': {
    request: {
      host: string;
      port: number;
      unitId: number;
      registerMap: { type: 'custom'; points: CustomPoint[] };
      timeoutMs?: number;
    };
    response: PointsView;
  };
  /** Adds (or replaces, by id) a device in the site file: validated, written atomically, previous kept as .bak. */
  'field/save-device': {
    request: { device: Device; assign?: Assignment; replace?: boolean };
    response: SaveDeviceResult;
  };
}

export const fieldSchemas: { [K in keyof FieldApi]: z.ZodType<FieldApi[K]['request']> } = {
  'field/endpoints': z.object({}).strict(),
  'field/site-file': z.object({}).strict(),
  'field/command': z.object({ command: fieldCommandSchema }).strict(),
  'field/scan': z
    .object({
      scanId: z.string().min(1).max(100),
      host: hostSchema,
      port: portSchema,
      fromUnit: unitSchema.optional(),
      toUnit: unitSchema.optional(),
      timeoutMs: z.number().int().min(50).max(10_000).optional(),
    })
    .strict(),
  'field/scan-cancel': z.object({ scanId: z.string().min(1) }).strict(),
  'field/read-unit': z
    .object({
      host: hostSchema,
      port: portSchema,
      unitId: unitSchema,
      base: z.number().int().min(0).max(65535).optional(),
      models: z.array(z.number().int().min(1).max(65535)).optional(),
      timeoutMs: z.number().int().min(50).max(10_000).optional(),
    })
    .strict(),
  'field/map-templates': z.object({}).strict(),
  'field/read-points': z
    .object({
      host: hostSchema,
      port: portSchema,
      unitId: unitSchema,
      registerMap: z
        .object({ type: z.literal('custom'), points: z.array(customPointSchema).min(1).max(500) })
        .strict(),
      timeoutMs: z.number().int().min(50).max(10_000).optional(),
    })
    .strict(),
  'field/save-device': z
    .object({ device: deviceSchema, assign: assignmentSchema.optional(), replace: z.boolean().optional() })
    .strict(),
};

export interface FieldEvents {
  'field/scan-progress': ScanProgress;
  /** Every command through the command path, as it is audited. */
  'field/command': CommandResult;
}
export const fieldEventNames = ['field/scan-progress', 'field/command'] as const;

/** Who may make each field call (see access.ts). */
export const fieldAccess: { [K in keyof FieldApi]: CallAccess } = {
  'field/endpoints': reads(),
  'field/site-file': reads(),
  'field/command': changes('technician', { recentSignIn: true, auditedByHandler: true }),
  'field/scan': changes('technician'),
  'field/scan-cancel': changes('technician'),
  'field/read-unit': reads('technician'),
  'field/map-templates': reads(),
  'field/read-points': reads('technician'),
  'field/save-device': changes('technician'),
};
