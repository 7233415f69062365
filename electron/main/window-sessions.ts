// Which signed-in session each console window belongs to. The session is the window's, never the
// page's to claim: IPC calls find their caller by the sender's webContents id, so a page cannot
// name another window's session, and closing a window forgets it.
//
// SEAM (issue 16, desktop sign-in): the bridge's `signIn(user, password)` and `signOut()` (in
// shared/api/bridge.ts) are connected by the lead: a successful sign-in calls `attach` with the new
// session id, sign-out calls `forget`; `lookup` is the console's session store (it returns null for
// an expired or revoked session, which makes the window anonymous again).
import type { Caller } from '../../shared/api/access.ts';
import type { Anonymous } from '../platform/dispatch.ts';

export class WindowSessions {
  readonly #sessionIds = new Map<number, string>();

  constructor(private readonly lookup: (sessionId: string) => Caller | null) {}

  attach(webContentsId: number, sessionId: string): void {
    this.#sessionIds.set(webContentsId, sessionId);
  }

  forget(webContentsId: number): void {
    this.#sessionIds.delete(webContentsId);
  }

  sessionIdOf(webContentsId: number): string | null {
    return this.#sessionIds.get(webContentsId) ?? null;
  }

  /** The caller dispatch runs a call from this window as; anonymous until the window signs in. */
  callerFor(webContentsId: number): Caller | Anonymous {
    const sessionId = this.#sessionIds.get(webContentsId);
    const caller = sessionId === undefined ? null : this.lookup(sessionId);
    if (caller) return caller;
    if (sessionId !== undefined) this.#sessionIds.delete(webContentsId);
    return { transport: 'ipc', peer: `window ${webContentsId}` };
  }
}
