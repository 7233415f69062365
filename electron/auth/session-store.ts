// Sessions in memory: a random id that the browser holds in an HttpOnly cookie (or that the
// desktop app's main process holds for its window), the user it belongs to, when the password was
// last proved, and when it was last used. A console restart signs everyone out, which is the safe
// default for a control room. The role is not kept here: it is read from the user store at every
// call, so a changed role or a removed user takes effect at once.
import { randomBytes } from 'node:crypto';
import type { Transport } from '../../shared/api/access.ts';

export interface Session {
  id: string;
  user: string;
  transport: Transport;
  peer: string;
  createdMs: number;
  provedMs: number;
  lastSeenMs: number;
}

export interface SessionLimits {
  /** A session not used for this long ends. */
  idleTimeoutMs: number;
  /** A session older than this ends whatever its use (a wall screen signs in again once a day). */
  maxAgeMs: number;
}

export const DEFAULT_SESSION_LIMITS: SessionLimits = {
  idleTimeoutMs: 30 * 60_000,
  maxAgeMs: 24 * 3_600_000,
};

/** More sessions than any control room has; beyond it the oldest is dropped, so no caller can grow memory. */
const MAX_SESSIONS = 1000;

export class SessionStore {
  private readonly sessions = new Map<string, Session>();

  constructor(private readonly limits: SessionLimits = DEFAULT_SESSION_LIMITS) {}

  get idleTimeoutMs(): number {
    return this.limits.idleTimeoutMs;
  }

  create(user: string, transport: Transport, peer: string, nowMs: number): Session {
    if (this.sessions.size >= MAX_SESSIONS) {
      const oldest = [...this.sessions.values()].sort((a, b) => a.lastSeenMs - b.lastSeenMs)[0];
      if (oldest) this.sessions.delete(oldest.id);
    }
    const session: Session = {
      id: randomBytes(32).toString('base64url'),
      user,
      transport,
      peer,
      createdMs: nowMs,
      provedMs: nowMs,
      lastSeenMs: nowMs,
    };
    this.sessions.set(session.id, session);
    return session;
  }

  /** The live session with this id, marked as used now; null when unknown or expired. */
  use(id: string | undefined | null, nowMs: number): Session | null {
    if (!id) return null;
    const session = this.sessions.get(id);
    if (!session) return null;
    if (
      nowMs - session.lastSeenMs > this.limits.idleTimeoutMs ||
      nowMs - session.createdMs > this.limits.maxAgeMs
    ) {
      this.sessions.delete(id);
      return null;
    }
    session.lastSeenMs = nowMs;
    return session;
  }

  /** Whether the session is still live, without counting this as use (an open socket is not activity). */
  alive(id: string, nowMs: number): boolean {
    const session = this.sessions.get(id);
    if (!session) return false;
    if (
      nowMs - session.lastSeenMs > this.limits.idleTimeoutMs ||
      nowMs - session.createdMs > this.limits.maxAgeMs
    ) {
      this.sessions.delete(id);
      return false;
    }
    return true;
  }

  proved(id: string, nowMs: number): void {
    const session = this.sessions.get(id);
    if (session) session.provedMs = nowMs;
  }

  end(id: string): void {
    this.sessions.delete(id);
  }

  endUser(user: string): void {
    for (const [id, s] of this.sessions) if (s.user === user) this.sessions.delete(id);
  }
}
