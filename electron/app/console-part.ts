// What each part of the back end (historian, field I/O, control, market, settlement) is given
// by the composition root, and what it gives back: its API handlers and its life cycle.
import type { ApiEventName, ApiEvents } from '../../shared/api/contract.ts';
import type { LiveSnapshot } from '../../shared/api/live.ts';
import type { SiteFile } from '../../shared/site/schema.ts';
import type { DeviceCycle, Poller } from '../field/poller.ts';
import type { Db } from '../historian/database.ts';
import type { SiteSimulator } from '../sim/site-simulator.ts';

export interface ConsoleContext {
  site: SiteFile;
  siteFile: string;
  dataDir: string;
  db: Db;
  poller: Poller;
  /** The in-process simulator, when the site is simulated. */
  simulator: SiteSimulator | null;
  /** The live picture as of now. */
  snapshot(): LiveSnapshot;
  /** Subscribe to every completed device read. */
  onCycle(listener: (cycle: DeviceCycle) => void): () => void;
  /** Push an event to every viewer. */
  emit<E extends ApiEventName>(event: E, payload: ApiEvents[E]): void;
  log(message: string): void;
  now(): number;
  /** A part saved a changed site file (the market settings); parts that follow settings hear of it. */
  siteSaved(site: SiteFile): void;
  onSiteSaved(listener: (site: SiteFile) => void): () => void;
}

export interface ConsolePart<H> {
  handlers: H;
  /** Called once after every part is built and the poller runs. */
  start?(): void | Promise<void>;
  /** Called on shutdown, in reverse order of the parts. */
  stop?(): void | Promise<void>;
}
