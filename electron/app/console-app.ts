// The composition root: from a site file and a data directory, builds the simulator (when the
// site is simulated), the poller, the historian and every part of the back end, and wires the
// data flow poller → live model → event stream, and poller → historian.
import type { ApiEventName, ApiEvents, ApiHandlers, HandlersOf } from '../../shared/api/contract.ts';
import type { SystemApi } from '../../shared/api/system-api.ts';
import type { SiteFile } from '../../shared/site/schema.ts';
import { Poller } from '../field/poller.ts';
import { openHistorianDb, type Db } from '../historian/database.ts';
import type { ControlConfigOverrides } from '../control/control-config.ts';
import { createControlPart } from '../control/control-part.ts';
import { createFieldPart } from '../field/field-part.ts';
import { createHistorianPart } from '../historian/historian-part.ts';
import { recentSamples } from '../historian/sample-writer.ts';
import { createMarketPreviewPart } from '../market/preview-part.ts';
import { createSettlementPart } from '../market/settlement-part.ts';
import { createSimulatorPart } from '../sim/simulator-part.ts';
import { SiteSimulator } from '../sim/site-simulator.ts';
import type { ConsolePart } from '../platform/console-part.ts';
import type { ControlContext } from '../control/control-part.ts';
import type { FieldContext } from '../field/field-part.ts';
import type { HistorianContext } from '../historian/historian-part.ts';
import type { SimulatorContext } from '../sim/simulator-part.ts';
import { LiveModel } from './live-model.ts';
import { loadSiteFile } from './site-loader.ts';

export interface ConsoleOptions {
  siteFile: string;
  dataDir: string;
  /** Run the built-in simulator in-process on free loopback ports. */
  simulate: boolean;
  transport: 'ipc' | 'websocket';
  log?: (message: string) => void;
  /** Overrides of the controller's limits and timings (tests shorten the 5-minute stability wait). */
  control?: ControlConfigOverrides;
}

type Listener = <E extends ApiEventName>(event: E, payload: ApiEvents[E]) => void;

export interface ConsoleApp {
  site: SiteFile;
  handlers: ApiHandlers;
  subscribe(listener: Listener): () => void;
  stop(): Promise<void>;
  simulator: SiteSimulator | null;
  poller: Poller;
  db: Db;
}

export const VERSION = '0.1.0';

export async function startConsole(options: ConsoleOptions): Promise<ConsoleApp> {
  const log = options.log ?? (() => undefined);
  const site = loadSiteFile(options.siteFile);
  const db = openHistorianDb(options.dataDir);
  let simulator: SiteSimulator | null = null;
  try {
    simulator = options.simulate ? await SiteSimulator.start(site, { ephemeralPorts: true }) : null;
  } catch (error) {
    db.close();
    throw error;
  }
  if (simulator) log(`simulator: ${site.devices.length} devices on loopback`);
  const poller = new Poller(site, simulator ? { endpointOf: (d) => simulator.endpointOf(d) } : {});
  const live = new LiveModel(site);
  const listeners = new Set<Listener>();
  const siteListeners = new Set<(site: SiteFile) => void>();
  const startedMs = Date.now();

  // One context that satisfies every part's needs; each part's type names what it uses.
  const context: FieldContext & HistorianContext & ControlContext & SimulatorContext = {
    site,
    siteFile: options.siteFile,
    dataDir: options.dataDir,
    db,
    poller,
    simulator,
    snapshot: () => live.snapshot(poller.status(), Date.now()),
    onCycle: (listener) => poller.onCycle(listener),
    emit: (event, payload) => {
      for (const listener of listeners) listener(event, payload);
    },
    log,
    now: Date.now,
    siteSaved: (saved) => {
      for (const listener of siteListeners) listener(saved);
    },
    onSiteSaved: (listener) => {
      siteListeners.add(listener);
      return () => siteListeners.delete(listener);
    },
  };

  const systemPart: ConsolePart<HandlersOf<SystemApi>> = {
    handlers: {
      'system/info': () => ({
        version: VERSION,
        siteName: site.site.name,
        dataDir: options.dataDir,
        simulated: simulator !== null,
        startedMs,
        transport: options.transport,
      }),
      'site/get': () => site,
      'live/snapshot': () => context.snapshot(),
      'history/recent': ({ device, quantity, sinceMs }) => recentSamples(db, device, quantity, sinceMs),
    },
  };

  // Each part of the back end adds its handlers here; their life cycles run in this order, and
  // a part is given what it needs from the parts built before it.
  const parts: Array<ConsolePart<object>> = [systemPart];
  let heartbeat: ReturnType<typeof setInterval> | undefined;
  try {
    const historian = createHistorianPart(context);
    parts.push(historian);
    const field = createFieldPart(context);
    parts.push(field);
    const control = createControlPart(context, {
      commands: field.commands,
      ...(options.control ? { config: options.control } : {}),
    });
    parts.push(control, createMarketPreviewPart(context));
    parts.push(
      createSettlementPart(context, {
        source: {
          energies: (startMs, minutes) =>
            historian.intervalEnergies(startMs, minutes, control.modeDuring(startMs, minutes)),
        },
      }),
      createSimulatorPart(context),
    );
    // Once a second, one snapshot to every viewer.
    heartbeat = setInterval(() => context.emit('live/snapshot', context.snapshot()), 1000);
    poller.start();
    for (const part of parts) await part.start?.();
  } catch (error) {
    // A part that cannot start (a foreign ledger file, a port in use) must not leave the
    // simulator serving and the database open: undo what was built, then report.
    clearInterval(heartbeat);
    for (const part of [...parts].reverse()) await Promise.resolve(part.stop?.()).catch(() => undefined);
    await poller.stop();
    await simulator?.stop();
    db.close();
    throw error;
  }
  const handlers = Object.assign({}, ...parts.map((p) => p.handlers)) as ApiHandlers;

  return {
    site,
    handlers,
    simulator,
    poller,
    db,
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    async stop() {
      clearInterval(heartbeat);
      for (const part of [...parts].reverse()) await part.stop?.();
      await poller.stop();
      await simulator?.stop();
      db.close();
    },
  };
}
