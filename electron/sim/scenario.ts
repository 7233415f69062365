// Scenario files for `commonwatt simulate --scenario FILE`: a start time, a duration, the weather,
// the pool's initial SoC and timed events (grid loss and return, operator commands, device faults)
// at ISO 8601 durations from the start. Checked with zod; problems read `json.path: message`.
import { z } from 'zod';
import { batteryModes, type OperatorCommand } from '../../shared/api/control-api.ts';
import type { SiteFile } from '../../shared/site/schema.ts';
import { check, type Checked, type Problem } from '../../shared/validation/problems.ts';

const DURATION =
  /^P(?:(\d+(?:\.\d+)?)D)?(?:T(?:(\d+(?:\.\d+)?)H)?(?:(\d+(?:\.\d+)?)M)?(?:(\d+(?:\.\d+)?)S)?)?$/;

/** Milliseconds of an ISO 8601 duration of days, hours, minutes and seconds (PT6H, P1DT30M), or null. */
export function parseDurationMs(text: string): number | null {
  const match = DURATION.exec(text);
  if (!match || text === 'P' || text.endsWith('T')) return null;
  const [, d, h, m, s] = match.map((v) => (v === undefined ? 0 : Number(v)));
  return (((d ?? 0) * 24 + (h ?? 0)) * 60 + (m ?? 0)) * 60_000 + (s ?? 0) * 1000;
}

const at = z
  .string()
  .refine(
    (v) => parseDurationMs(v) !== null,
    'must be an ISO 8601 duration from the start, such as PT6H or P1DT30M',
  );

export const commandNames = [
  'island',
  'reconnect',
  'shed',
  'restore',
  'battery-mode',
  'cancel-schedule',
] as const;
export const faultNames = ['trip', 'stuck', 'offline', 'frequency-drift', 'clear'] as const;

const gridLossEvent = z
  .object({
    type: z.literal('grid-loss'),
    at,
    /** outage: no voltage at all; the others keep the grid connected but out of limits. */
    kind: z.enum(['outage', 'undervoltage', 'overvoltage', 'underfrequency']).default('outage'),
  })
  .strict();

const gridRestoreEvent = z
  .object({
    type: z.literal('grid-restore'),
    at,
    voltagePu: z.number().min(0.5).max(1.3).optional(),
    frequencyOffsetHz: z.number().min(-5).max(5).optional(),
  })
  .strict();

const commandEvent = z
  .object({
    type: z.literal('command'),
    at,
    command: z.enum(commandNames),
    tier: z.number().int().min(0).max(9).optional(),
    mode: z.enum(batteryModes).optional(),
    setpointKW: z.number().optional(),
    /** For `island`: schedule it this many minutes after the event instead of now. */
    inMinutes: z.number().positive().optional(),
    operator: z.string().min(1).default('scenario'),
    /** What the controller should answer; a different answer is reported in the output. */
    expect: z.enum(['accepted', 'refused']).optional(),
  })
  .strict()
  .superRefine((e, ctx) => {
    if ((e.command === 'shed' || e.command === 'restore') && e.tier === undefined)
      ctx.addIssue({
        code: 'custom',
        path: ['tier'],
        message: `'${e.command}' needs the tier to ${e.command}`,
      });
    if (e.command === 'battery-mode' && e.mode === undefined)
      ctx.addIssue({
        code: 'custom',
        path: ['mode'],
        message: `'battery-mode' needs a mode (${batteryModes.join(', ')})`,
      });
  });

const deviceFaultEvent = z
  .object({
    type: z.literal('device-fault'),
    at,
    device: z.string().min(1),
    /** trip: a battery inverter stops; stuck: the breaker does not move; offline: the device does not
     *  answer; frequency-drift: a forming inverter's frequency drifts by driftHz; clear: all faults of the device go. */
    fault: z.enum(faultNames),
    driftHz: z.number().min(-5).max(5).optional(),
  })
  .strict();

/** The sky changes (a front comes in): the weather of the rest of the scenario. */
const weatherEvent = z
  .object({ type: z.literal('weather'), at, weather: z.enum(['clear', 'cloudy', 'storm']) })
  .strict();

export const scenarioEventSchema = z.discriminatedUnion('type', [
  gridLossEvent,
  gridRestoreEvent,
  commandEvent,
  deviceFaultEvent,
  weatherEvent,
]);
export type ScenarioEvent = z.infer<typeof scenarioEventSchema>;

export const scenarioSchema = z
  .object({
    description: z.string().optional(),
    /** The site file to run, relative to the scenario file (the demo village when absent; --site overrides). */
    site: z.string().min(1).optional(),
    start: z.iso.datetime({
      offset: true,
      message: 'must be an ISO 8601 date-time with an offset, such as 2026-06-21T18:00:00+01:00',
    }),
    durationHours: z
      .number()
      .positive()
      .max(24 * 62),
    initialSoC: z.number().min(0).max(1).default(0.6),
    weather: z.enum(['clear', 'cloudy', 'storm']).default('clear'),
    seed: z.number().int().min(0).default(1),
    /** Physics and controller step, seconds. */
    stepSeconds: z.number().int().min(1).max(60).default(1),
    events: z.array(scenarioEventSchema).default([]),
  })
  .strict()
  .superRefine((s, ctx) => {
    s.events.forEach((e, i) => {
      const ms = parseDurationMs(e.at);
      if (ms !== null && ms > s.durationHours * 3_600_000)
        ctx.addIssue({
          code: 'custom',
          path: ['events', i, 'at'],
          message: `${e.at} is after the end of the scenario (${s.durationHours} h)`,
        });
    });
  });
export type Scenario = z.infer<typeof scenarioSchema>;

export function validateScenario(input: unknown): Checked<Scenario> {
  return check(scenarioSchema, input);
}

/** Cross-checks a scenario against the site it runs on: devices and tiers it names must exist. */
export function scenarioSiteProblems(scenario: Scenario, site: SiteFile): Problem[] {
  const problems: Problem[] = [];
  const devices = new Map(site.devices.map((d) => [d.id, d]));
  const tiers = new Set(site.members.map((m) => m.priorityTier));
  scenario.events.forEach((e, i) => {
    if (e.type === 'device-fault') {
      const device = devices.get(e.device);
      const relay = /^relay-tier-(\d)$/.exec(e.device);
      if (!device && !relay) {
        problems.push({
          path: `events[${i}].device`,
          message: `unknown device '${e.device}' in site '${site.site.id}'`,
        });
        return;
      }
      const kind = device?.kind ?? 'shed-relay';
      const allowed: Record<string, readonly string[]> = {
        trip: ['battery-inverter'],
        stuck: ['pcc-breaker'],
        'frequency-drift': ['battery-inverter'],
      };
      const kinds = allowed[e.fault];
      if (kinds && !kinds.includes(kind))
        problems.push({
          path: `events[${i}].fault`,
          message: `'${e.fault}' applies to a ${kinds.join(' or ')}, and '${e.device}' is a ${kind}`,
        });
    }
    if ((e.type === 'grid-loss' || e.type === 'grid-restore') && site.grid.kind !== 'connected')
      problems.push({
        path: `events[${i}].type`,
        message: `site '${site.site.id}' is off-grid: it has no grid to lose or restore`,
      });
    if (e.type === 'command' && e.tier !== undefined && !tiers.has(e.tier))
      problems.push({
        path: `events[${i}].tier`,
        message: `site '${site.site.id}' has no members in tier ${e.tier}`,
      });
  });
  return problems;
}

/** The operator command a scenario event gives, at `atMs`. */
export function commandOf(e: Extract<ScenarioEvent, { type: 'command' }>, atMs: number): OperatorCommand {
  switch (e.command) {
    case 'island':
      return e.inMinutes === undefined
        ? { kind: 'island' }
        : { kind: 'island', atMs: atMs + e.inMinutes * 60_000 };
    case 'reconnect':
      return { kind: 'reconnect' };
    case 'shed':
      return { kind: 'shed', tier: e.tier ?? 0 };
    case 'restore':
      return { kind: 'restore', tier: e.tier ?? 0 };
    case 'battery-mode':
      return e.setpointKW === undefined
        ? { kind: 'battery-mode', mode: e.mode ?? 'self-consumption' }
        : { kind: 'battery-mode', mode: e.mode ?? 'setpoint', setpointKW: e.setpointKW };
    case 'cancel-schedule':
      return { kind: 'cancel-schedule' };
  }
}
