// The composition root: from a site file and a data directory, builds the simulator (when the
// site is simulated), the poller, the historian and every part of the back end, and wires the
// data flow poller → live model → event stream, and poller → historian.
import type { ApiEventName, ApiEvents, ApiHandlers, HandlersOf } from '../../shared/api/contract.ts';
import { quantityUnits } from '../../shared/api/live.ts';
import type { SystemApi } from '../../shared/api/system-api.ts';
import type { SiteFile } from '../../shared/site/schema.ts';
import { Poller } from '../field/poller.ts';
import { openHistorianDb, type Db } from '../historian/database.ts';
import { recentSamples, SampleWriter } from '../historian/sample-writer.ts';
import { SiteSimulator } from '../sim/site-simulator.ts';
import type { ConsoleContext, ConsolePart } from './console-part.ts';
import { LiveModel } from './live-model.ts';
import { loadSiteFile } from './site-loader.ts';

export interface ConsoleOptions {
  siteFile: string;
  dataDir: string;
  /** Run the built-in simulator in-process on free loopback ports. */
  simulate: boolean;
  transport: 'ipc' | 'websocket';
  log?: (message: string) => void;
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
  const writer = new SampleWriter(db);
  const live = new LiveModel(site);
  const listeners = new Set<Listener>();
  const startedMs = Date.now();

  const context: ConsoleContext = {
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
  };

  poller.onCycle((cycle) => {
    for (const v of cycle.values) {
      writer.add({
        device: cycle.device,
        quantity: v.quantity,
        unit: quantityUnits[v.quantity] ?? '',
        timeMs: cycle.timeMs,
        value: v.value,
        quality: v.implemented ? 'good' : 'not-implemented',
      });
    }
  });

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

  // Each part of the back end adds its handlers here; their life cycles run in this order.
  const parts: Array<ConsolePart<object>> = [systemPart];
  const handlers = Object.assign({}, ...parts.map((p) => p.handlers)) as ApiHandlers;

  // Once a second: one historian transaction for everything polled, one snapshot to every viewer.
  const heartbeat = setInterval(() => {
    try {
      writer.flush();
    } catch (error) {
      log(`historian: write failed: ${(error as Error).message}`);
    }
    context.emit('live/snapshot', context.snapshot());
  }, 1000);

  poller.start();
  for (const part of parts) await part.start?.();

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
      try {
        writer.flush();
      } finally {
        db.close();
      }
    },
  };
}
