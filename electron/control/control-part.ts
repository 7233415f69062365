// The control part of the console: the microgrid controller fed by live measurements once a
// second (and at once on each fresh PCC reading), acting through the field command path, and
// answering the control API. Operator commands are audited, with the caller's session, to the
// console's one audit trail.
import type { ControlApi } from '../../shared/api/control-api.ts';
import type { HandlersOf } from '../../shared/api/contract.ts';
import type { IntervalMode } from '../../shared/settlement/interval-energy.ts';
import type { ConsoleContext, ConsolePart } from '../platform/console-part.ts';
import type { DeviceCycle } from '../field/poller.ts';
import type { FieldCommands } from '../field/command-path.ts';
import type { ControlConfigOverrides } from './control-config.ts';
import { LiveActuators } from './live-actuators.ts';
import { LiveMeasurements } from './live-measurements.ts';
import { MicrogridController } from './microgrid-controller.ts';

export interface ControlPartOptions {
  commands: FieldCommands;
  /** Overrides of the controller's settings (tests shorten the grid stability time, ...). */
  config?: ControlConfigOverrides;
}

export interface ControlPart extends ConsolePart<HandlersOf<ControlApi>> {
  /** The mode that held longest during a settlement interval (islanded intervals have no grid fallback). */
  modeDuring(startMs: number, minutes: number): IntervalMode;
  controller: MicrogridController;
}

const TICK_MS = 1000;
const FIRST_READ_GRACE_MS = 10_000;
/** A meter's figure can lag a change by up to its own refresh period. */
const METER_REFRESH_MS = 1000;
const SETTLE_WAIT_MAX_MS = 4000;

/** What the control part needs beyond the shared context: every completed device read. */
export type ControlContext = ConsoleContext & {
  onCycle(listener: (cycle: DeviceCycle) => void): () => void;
};

export function createControlPart(ctx: ControlContext, options: ControlPartOptions): ControlPart {
  let statePending = false;
  let ticking: Promise<void> | null = null;
  let lastTickMs = Number.NEGATIVE_INFINITY;
  let timer: NodeJS.Timeout | null = null;
  let unsubscribe: (() => void) | null = null;
  let stopped = false;

  // The controller runs on the site it started with (a saved change applies at its next start).
  const site = ctx.sites.current();
  const actuators = new LiveActuators(
    site,
    options.commands,
    () => ctx.snapshot(),
    () => ctx.now(),
  );
  const measurements = new LiveMeasurements(site);
  const controller = new MicrogridController({
    site: site,
    actuators,
    startMs: ctx.now(),
    ...(options.config ? { config: options.config } : {}),
    audit: ctx.audit,
    onEvent: (event) => ctx.emit('control/event', event),
    onAlarm: (alarm) => ctx.emit('control/alarm', alarm),
    onTransition: (t) => {
      ctx.log(`control: ${t.from} → ${t.to}: ${t.reason}`);
      statePending = true;
    },
  });
  options.commands.setInterlocks({
    canClosePcc: () => controller.canClosePcc(ctx.now()),
    canGridForm: () => actuators.canGridForm(),
  });

  let lastPushMs = Number.NEGATIVE_INFINITY;
  const pushState = () => {
    statePending = false;
    lastPushMs = ctx.now();
    ctx.emit('control/state', controller.state());
  };

  const startedMs = ctx.now();
  const runTick = async (): Promise<void> => {
    try {
      const snapshot = ctx.snapshot();
      // The first second after start, devices are still being connected: their silence is not a fault.
      if (ctx.now() - startedMs < FIRST_READ_GRACE_MS && measurements.firstReadPending(snapshot)) return;
      // While the pool balances the PCC before a planned opening, each step waits for readings
      // taken after the last setpoint has shown at the meter (bounded, so a silent meter cannot
      // stall the controller: it then aborts on its own terms).
      const acted = actuators.lastActionMs;
      if (
        controller.currentMode === 'planned-islanding' &&
        acted !== null &&
        ctx.now() - acted < SETTLE_WAIT_MAX_MS &&
        !measurements.readSince(snapshot, acted + METER_REFRESH_MS)
      )
        return;
      await controller.tick(measurements.from(snapshot, ctx.now()));
    } catch (error) {
      ctx.log(`control: tick failed: ${(error as Error).message}`);
    }
    // Viewers get the picture once a second, and at once when the mode changes.
    if (!stopped && (statePending || ctx.now() - lastPushMs >= TICK_MS - 50)) pushState();
  };
  // One tick at a time: a tick waits on field commands (a breaker takes a second to move). A
  // fresh PCC reading during a tick is not dropped: it runs the next tick as soon as this ends.
  let again = false;
  const tick = (): void => {
    if (stopped) return;
    if (ticking) {
      again = true;
      return;
    }
    again = false;
    lastTickMs = ctx.now();
    ticking = runTick().finally(() => {
      ticking = null;
      if (again) tick();
    });
  };

  const watched = new Set<string>(
    site.grid.kind === 'connected' ? [site.grid.pcc.meter, site.grid.pcc.breaker] : [],
  );

  const handlers: HandlersOf<ControlApi> = {
    'control/state': () => controller.state(),
    'control/check': ({ command }) => controller.check(command, ctx.now()),
    'control/command': async ({ command }, { caller }) => {
      const outcome = await controller.command(command, { actor: caller, atMs: ctx.now() });
      pushState();
      return outcome;
    },
    'control/acknowledge': ({ alarmId }) => {
      const ok = controller.acknowledge(alarmId);
      if (ok) pushState();
      return { ok };
    },
  };

  return {
    handlers,
    controller,
    modeDuring: (startMs, minutes) => controller.modeDuring(startMs, minutes),
    start() {
      unsubscribe = ctx.onCycle((cycle) => {
        if (watched.has(cycle.device)) tick();
      });
      timer = setInterval(() => {
        if (ctx.now() - lastTickMs >= TICK_MS - 50 || statePending) tick();
      }, TICK_MS / 4);
    },
    async stop() {
      stopped = true;
      if (timer) clearInterval(timer);
      timer = null;
      unsubscribe?.();
      await ticking;
    },
  };
}
