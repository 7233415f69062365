// The composition root: from a site file and a data directory, builds the simulator (when the
// site is simulated), the poller, the historian and the API handlers, and wires the data flow
// poller → live model → event stream, and poller → historian.
import type { ApiEventName, ApiEvents, ApiHandlers } from '../../shared/api/contract.ts';
import { quantityUnits } from '../../shared/api/live.ts';
import type { SiteFile } from '../../shared/site/schema.ts';
import { Poller } from '../field/poller.ts';
import { openHistorianDb, type Db } from '../historian/database.ts';
import { recentSamples, SampleWriter } from '../historian/sample-writer.ts';
import { SiteSimulator } from '../sim/site-simulator.ts';
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
  const simulator = options.simulate ? await SiteSimulator.start(site, { ephemeralPorts: true }) : null;
  if (simulator) log(`simulator: ${site.devices.length} devices on loopback`);
  const poller = new Poller(site, simulator ? { endpointOf: (d) => simulator.endpointOf(d) } : {});
  const writer = new SampleWriter(db);
  const live = new LiveModel(site);
  const listeners = new Set<Listener>();
  const startedMs = Date.now();

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

  // Once a second: one historian transaction for everything polled, one snapshot to every viewer.
  const heartbeat = setInterval(() => {
    try {
      writer.flush();
    } catch (error) {
      log(`historian: write failed: ${(error as Error).message}`);
    }
    const snapshot = live.snapshot(poller.status(), Date.now());
    for (const listener of listeners) listener('live/snapshot', snapshot);
  }, 1000);

  poller.start();

  const handlers: ApiHandlers = {
    'system/info': () => ({
      version: VERSION,
      siteName: site.site.name,
      dataDir: options.dataDir,
      simulated: simulator !== null,
      startedMs,
      transport: options.transport,
    }),
    'site/get': () => site,
    'live/snapshot': () => live.snapshot(poller.status(), Date.now()),
    'history/recent': ({ device, quantity, sinceMs }) => recentSamples(db, device, quantity, sinceMs),
  };

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
