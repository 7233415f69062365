// The composition root: from a site file and a data directory, builds the simulator (when the
// site is simulated), the poller, the historian and every part of the back end, and wires the
// data flow poller → site state → event stream, controller and market, and poller → historian.
import type { Caller } from '../../shared/api/access.ts';
import type { ApiEventName, ApiEvents, ApiHandlers, HandlersOf } from '../../shared/api/contract.ts';
import { createAuditPart } from '../audit/audit-part.ts';
import { AuditStore } from '../audit/audit-store.ts';
import { createAuthPart } from '../auth/auth-part.ts';
import { AuthService } from '../auth/auth-service.ts';
import type { SessionLimits } from '../auth/session-store.ts';
import { dispatch, type Anonymous, type DispatchResult } from '../platform/dispatch.ts';
import { secureDataDir } from './data-dir.ts';
import type { SystemApi } from '../../shared/api/system-api.ts';
import { Poller } from '../field/poller.ts';
import { LiveSite } from '../live/site-state.ts';
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
import { SiteStore } from '../site/site-store.ts';

export interface ConsoleOptions {
  siteFile: string;
  dataDir: string;
  /** Run the built-in simulator in-process on free loopback ports. */
  simulate: boolean;
  transport: 'ipc' | 'websocket';
  log?: (message: string) => void;
  /** Overrides of the controller's limits and timings (tests shorten the 5-minute stability wait). */
  control?: ControlConfigOverrides;
  /** Session idle and age limits, and how long a proved password allows control actions. */
  sessions?: SessionLimits;
  recentSignInMs?: number;
}

type Listener = <E extends ApiEventName>(event: E, payload: ApiEvents[E]) => void;

export interface ConsoleApp {
  /** The one holder of the site: the current site, saves, and who follows them. */
  sites: SiteStore;
  handlers: ApiHandlers;
  /** Who may use the console, their sessions and sign-ins. */
  auth: AuthService;
  /** The one audit trail. */
  audit: AuditStore;
  /** Runs one call for a caller (or an anonymous peer) through the dispatcher: the only way in. */
  call(caller: Caller | Anonymous, name: unknown, request: unknown): Promise<DispatchResult>;
  subscribe(listener: Listener): () => void;
  stop(): Promise<void>;
  simulator: SiteSimulator | null;
  poller: Poller;
  db: Db;
}

export const VERSION = '0.1.0';

export async function startConsole(options: ConsoleOptions): Promise<ConsoleApp> {
  const log = options.log ?? (() => undefined);
  secureDataDir(options.dataDir);
  const sites = SiteStore.load(options.siteFile, { dataDir: options.dataDir, log });
  const site = sites.current();
  const db = openHistorianDb(options.dataDir);
  const audit = new AuditStore(options.dataDir);
  const auth = new AuthService({
    dataDir: options.dataDir,
    audit,
    ...(options.sessions ? { sessions: options.sessions } : {}),
    ...(options.recentSignInMs !== undefined ? { recentSignInMs: options.recentSignInMs } : {}),
  });
  let simulator: SiteSimulator | null = null;
  try {
    simulator = options.simulate ? await SiteSimulator.start(site, { ephemeralPorts: true }) : null;
  } catch (error) {
    audit.close();
    db.close();
    throw error;
  }
  if (simulator) log(`simulator: ${site.devices.length} devices on loopback`);
  const poller = new Poller(site, simulator ? { endpointOf: (d) => simulator.endpointOf(d) } : {});
  // One site state per poller cycle: the snapshot, the controller, the preview and settlement read it.
  let live = new LiveSite(site, poller);
  // A saved site applies without a restart: a commissioned device is polled at once, and the live
  // state is rebuilt over the new devices, members and topology.
  const unfollowSite = sites.subscribe(({ site: saved }) => {
    poller.applySite(saved);
    live.close();
    live = new LiveSite(saved, poller);
  });
  const listeners = new Set<Listener>();
  const startedMs = Date.now();

  // One context that satisfies every part's needs; each part's type names what it uses.
  const context: FieldContext & HistorianContext & ControlContext & SimulatorContext = {
    sites,
    dataDir: options.dataDir,
    db,
    poller,
    simulator,
    snapshot: () => live.current(),
    onCycle: (listener) => poller.onCycle(listener),
    emit: (event, payload) => {
      for (const listener of listeners) listener(event, payload);
    },
    log,
    audit,
    now: Date.now,
  };

  const systemPart: ConsolePart<HandlersOf<SystemApi>> = {
    handlers: {
      'system/info': () => ({
        version: VERSION,
        siteName: sites.current().site.name,
        dataDir: options.dataDir,
        simulated: simulator !== null,
        startedMs,
        transport: options.transport,
      }),
      'site/get': () => sites.current(),
      'live/snapshot': () => context.snapshot(),
      'history/recent': ({ device, quantity, sinceMs }) => recentSamples(db, device, quantity, sinceMs),
    },
  };

  // Each part of the back end adds its handlers here; their life cycles run in this order, and
  // a part is given what it needs from the parts built before it.
  const parts: Array<ConsolePart<object>> = [
    systemPart,
    createAuthPart(auth, Date.now),
    createAuditPart(audit),
  ];
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
    parts.push(control, createMarketPreviewPart(context, { modeDuring: (s, m) => control.modeDuring(s, m) }));
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
    unfollowSite();
    clearInterval(heartbeat);
    for (const part of [...parts].reverse()) await Promise.resolve(part.stop?.()).catch(() => undefined);
    await poller.stop();
    await simulator?.stop();
    db.close();
    audit.close();
    throw error;
  }
  const handlers = Object.assign({}, ...parts.map((p) => p.handlers)) as ApiHandlers;
  const dispatchOptions = { audit, now: Date.now, recentSignInMs: auth.recentSignInMs };

  return {
    sites,
    handlers,
    auth,
    audit,
    call: (caller, name, request) => dispatch(handlers, caller, name, request, dispatchOptions),
    simulator,
    poller,
    db,
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    async stop() {
      unfollowSite();
      clearInterval(heartbeat);
      for (const part of [...parts].reverse()) await part.stop?.();
      await poller.stop();
      await simulator?.stop();
      db.close();
      auth.removeCliToken();
      audit.close();
    },
  };
}
