// What each part of the back end (historian, field I/O, control, market, settlement) is given
// by the composition root, and what it gives back: its API handlers and its life cycle. This
// context holds only what every part shares; a part that needs a domain object (the poller, the
// simulator) names it in its own context type, so this layer imports no domain.
import type { ApiEventName, ApiEvents } from '../../shared/api/contract.ts';
import type { LiveSnapshot } from '../../shared/api/live.ts';
import type { SiteFile } from '../../shared/site/schema.ts';

export interface ConsoleContext {
  site: SiteFile;
  siteFile: string;
  dataDir: string;
  /** The live picture as of now. */
  snapshot(): LiveSnapshot;
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
