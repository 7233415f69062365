// What each part of the back end (historian, field I/O, control, market, settlement) is given
// by the composition root, and what it gives back: its API handlers and its life cycle. This
// context holds only what every part shares; a part that needs a domain object (the poller, the
// simulator) names it in its own context type, so this layer imports no domain.
import type { ApiEventName, ApiEvents } from '../../shared/api/contract.ts';
import type { LiveSnapshot } from '../../shared/api/live.ts';
import type { SiteHolder } from './site-holder.ts';
import type { AuditTrail } from './audit-trail.ts';

export interface ConsoleContext {
  /**
   * The one holder of the site: `current()` is the site as last saved, `subscribe` hears of each
   * save (parts that follow settings apply it without a restart), `save` writes with a backup.
   */
  sites: SiteHolder;
  dataDir: string;
  /** The live picture as of now. */
  snapshot(): LiveSnapshot;
  /** Push an event to every viewer. */
  emit<E extends ApiEventName>(event: E, payload: ApiEvents[E]): void;
  log(message: string): void;
  /** The console's one audit trail (see audit-trail.ts): who did what, from the session. */
  audit: AuditTrail;
  now(): number;
}

export interface ConsolePart<H> {
  handlers: H;
  /** Called once after every part is built and the poller runs. */
  start?(): void | Promise<void>;
  /** Called on shutdown, in reverse order of the parts. */
  stop?(): void | Promise<void>;
}
