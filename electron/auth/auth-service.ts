// Identification and authentication (IEC 62443-4-2 CR 1.1, 1.7, 1.11): sign-in by password with
// a lock-out that backs off, one-time sign-in links for the first admin, the CLI's token, and the
// sessions they open. Every sign-in, good or failed, is audited. Both transports and the desktop
// app use this one service; none of them decides who a caller is on its own.
import { randomBytes, timingSafeEqual } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Caller, Role, Transport } from '../../shared/api/access.ts';
import type { AuditTrail } from '../platform/audit-trail.ts';
import { decoyHash, hashPassword, passwordWeakness, verifyPassword } from './passwords.ts';
import { DEFAULT_SESSION_LIMITS, SessionStore, type Session, type SessionLimits } from './session-store.ts';
import { UserStore, type StoredUser } from './user-store.ts';

export const CLI_TOKEN_FILE = 'cli-token';
export const FIRST_ADMIN = 'admin';

/** Failures in a row before a user (or an address) is locked out, and how the lock grows. */
export const LOCKOUT = { afterFailures: 5, firstMs: 30_000, maxMs: 15 * 60_000 } as const;
/** A sign-in link works once, within this time. */
const LINK_TTL_MS = 60 * 60_000;
/** Control actions run without re-entering the password for this long after it was proved. */
export const DEFAULT_RECENT_SIGN_IN_MS = 15 * 60_000;

/**
 * An address is locked only after more failures than a user: one address may be a whole control
 * room behind a proxy, and one person's typos must not lock everyone else out.
 */
export const PEER_LOCKOUT_AFTER = 20;

export function lockoutMs(failures: number, after: number = LOCKOUT.afterFailures): number {
  if (failures < after) return 0;
  return Math.min(LOCKOUT.maxMs, LOCKOUT.firstMs * 2 ** (failures - after));
}

export type SignInResult =
  { ok: true; session: Session; role: Role } | { ok: false; status: 401 | 429; message: string };

export interface AuthOptions {
  dataDir: string;
  audit: AuditTrail;
  now?: () => number;
  sessions?: SessionLimits;
  recentSignInMs?: number;
}

export class AuthService {
  readonly users: UserStore;
  readonly sessions: SessionStore;
  readonly recentSignInMs: number;
  private readonly dataDir: string;
  private readonly audit: AuditTrail;
  private readonly now: () => number;
  private readonly links = new Map<string, { user: string; expiresMs: number }>();
  /** Failed sign-ins per address, so that guessing across many user names is slowed too. */
  private readonly peerFailures = new Map<string, { failures: number; lockedUntilMs: number }>();
  private cliToken: { user: string; token: Buffer } | null = null;

  constructor(options: AuthOptions) {
    this.dataDir = options.dataDir;
    this.users = new UserStore(options.dataDir);
    this.sessions = new SessionStore(options.sessions ?? DEFAULT_SESSION_LIMITS);
    this.recentSignInMs = options.recentSignInMs ?? DEFAULT_RECENT_SIGN_IN_MS;
    this.audit = options.audit;
    this.now = options.now ?? Date.now;
  }

  /**
   * On a fresh data directory, creates the first admin (without a password) and returns a
   * one-time sign-in link token for it; also while no admin has a password yet, so a lost link
   * is replaced by starting the console again. Null once an admin has a password.
   */
  firstRunLink(): string | null {
    // No admin yet (a fresh directory, or only other roles added by `commonwatt users`): create one.
    if (!this.users.list().some((u) => u.role === 'admin')) {
      if (this.users.get(FIRST_ADMIN))
        throw new Error(
          `there is no admin, and the name '${FIRST_ADMIN}' is taken: add one with commonwatt users add NAME --role admin`,
        );
      this.users.add({ name: FIRST_ADMIN, role: 'admin', password: null }, this.now());
    }
    const admins = this.users.list().filter((u) => u.role === 'admin');
    if (admins.some((u) => u.password !== null)) return null;
    return this.issueLink(admins[0]!.name);
  }

  issueLink(user: string): string {
    const token = randomBytes(32).toString('base64url');
    this.links.set(token, { user, expiresMs: this.now() + LINK_TTL_MS });
    return token;
  }

  redeemLink(token: string, transport: Transport, peer: string): SignInResult {
    const link = this.links.get(token);
    this.links.delete(token);
    const user = link && link.expiresMs > this.now() ? this.users.get(link.user) : null;
    if (!user) {
      this.note(
        null,
        transport,
        peer,
        'auth/link',
        'sign in by link',
        'refused',
        'unknown, used or expired link',
      );
      return { ok: false, status: 401, message: 'this sign-in link is unknown, used or expired' };
    }
    const session = this.sessions.create(user.name, transport, peer, this.now());
    this.note(user, transport, peer, 'auth/link', `sign in by link as ${user.name}`, 'ok', '');
    return { ok: true, session, role: user.role };
  }

  async signIn(name: string, password: string, transport: Transport, peer: string): Promise<SignInResult> {
    const now = this.now();
    const what = `sign in as ${name.slice(0, 64)}`;
    const address = peer.replace(/:\d+$/, '');
    const byPeer = this.peerFailures.get(address);
    const user = this.users.get(name);
    const lockedUntil = Math.max(user?.lockedUntilMs ?? 0, byPeer?.lockedUntilMs ?? 0);
    if (lockedUntil > now) {
      const reason = `locked after repeated failures until ${new Date(lockedUntil).toISOString()}`;
      this.note(null, transport, peer, 'auth/sign-in', what, 'refused', reason);
      return {
        ok: false,
        status: 429,
        message: `too many failed sign-ins: try again in ${Math.ceil((lockedUntil - now) / 1000)} s`,
      };
    }
    const good =
      user?.password != null
        ? await verifyPassword(password, user.password)
        : (await verifyPassword(password, await decoyHash()), false);
    if (!good || !user) {
      this.failed(address, user);
      this.note(null, transport, peer, 'auth/sign-in', what, 'refused', 'wrong user name or password');
      return { ok: false, status: 401, message: 'wrong user name or password' };
    }
    this.peerFailures.delete(address);
    if (user.failures > 0 || user.lockedUntilMs !== null)
      this.users.update(user.name, (u) => ({ ...u, failures: 0, lockedUntilMs: null }));
    const session = this.sessions.create(user.name, transport, peer, now);
    this.note(user, transport, peer, 'auth/sign-in', what, 'ok', '');
    return { ok: true, session, role: user.role };
  }

  private failed(address: string, user: StoredUser | null): void {
    const now = this.now();
    const byPeer = this.peerFailures.get(address) ?? { failures: 0, lockedUntilMs: 0 };
    byPeer.failures++;
    byPeer.lockedUntilMs = now + lockoutMs(byPeer.failures, PEER_LOCKOUT_AFTER);
    this.peerFailures.set(address, byPeer);
    // Bounded: an attacker with many addresses must not grow this map without end.
    if (this.peerFailures.size > 10_000) this.peerFailures.delete(this.peerFailures.keys().next().value!);
    if (user)
      this.users.update(user.name, (u) => {
        const failures = u.failures + 1;
        const lock = lockoutMs(failures);
        return { ...u, failures, lockedUntilMs: lock > 0 ? now + lock : null };
      });
  }

  /** The caller a session id stands for, with the user's role as the user store says now. */
  callerFor(sessionId: string | null | undefined, transport: Transport, peer: string): Caller | null {
    const session = this.sessions.use(sessionId, this.now());
    if (!session) return null;
    const user = this.users.get(session.user);
    if (!user) {
      this.sessions.end(session.id);
      return null;
    }
    return {
      user: user.name,
      role: user.role,
      transport,
      peer,
      provedMs: session.provedMs,
      sessionId: session.id,
    };
  }

  async reauthenticate(caller: Caller, password: string): Promise<boolean> {
    const user = this.users.get(caller.user);
    const good = user?.password ? await verifyPassword(password, user.password) : false;
    this.note(
      user,
      caller.transport,
      caller.peer,
      'auth/reauthenticate',
      `re-enter password as ${caller.user}`,
      good ? 'ok' : 'refused',
      good ? '' : 'wrong password',
    );
    if (good && caller.sessionId) this.sessions.proved(caller.sessionId, this.now());
    return good;
  }

  /**
   * A user changes their own password: the current one is needed when one is set (the first admin,
   * signed in by link, has none yet). Returns why it was refused, or null.
   */
  async changePassword(name: string, current: string | null, password: string): Promise<string | null> {
    const user = this.users.get(name);
    if (!user) return `no user '${name}'`;
    if (user.password && (current === null || !(await verifyPassword(current, user.password))))
      return current === null ? 'enter the current password too' : 'the current password is wrong';
    return this.setPassword(name, password);
  }

  /** Sets a password after checking its strength (`commonwatt users passwd`, by whoever owns the data directory). */
  async setPassword(name: string, password: string): Promise<string | null> {
    if (!this.users.get(name)) return `no user '${name}'`;
    const weak = passwordWeakness(name, password);
    if (weak) return weak;
    const hash = await hashPassword(password);
    this.users.update(name, (u) => ({ ...u, password: hash, failures: 0, lockedUntilMs: null }));
    return null;
  }

  signOut(caller: Caller): void {
    if (caller.sessionId) this.sessions.end(caller.sessionId);
  }

  /**
   * Writes a fresh token for `commonwatt control` to DIR/cli-token (0600, readable only by the
   * console's own OS user), standing for `user`. A new token each start; removed on stop.
   */
  writeCliToken(user: string): string {
    const token = randomBytes(32);
    const file = path.join(this.dataDir, CLI_TOKEN_FILE);
    fs.rmSync(file, { force: true });
    fs.writeFileSync(file, `${JSON.stringify({ user, token: token.toString('base64url') })}\n`, {
      mode: 0o600,
    });
    this.cliToken = { user, token };
    return file;
  }

  removeCliToken(): void {
    if (this.cliToken) fs.rmSync(path.join(this.dataDir, CLI_TOKEN_FILE), { force: true });
    this.cliToken = null;
  }

  /** The CLI caller a bearer token stands for, or null (audited) when it is missing or wrong. */
  cliCaller(token: string | null, peer: string): Caller | null {
    const expected = this.cliToken;
    const given = token ? Buffer.from(token, 'base64url') : Buffer.alloc(0);
    const good =
      expected !== null && given.length === expected.token.length && timingSafeEqual(given, expected.token);
    const user = good ? this.users.get(expected.user) : null;
    if (!user) {
      this.note(
        null,
        'cli',
        peer,
        'cli/token',
        'connect with the CLI token',
        'refused',
        token ? 'wrong token' : 'no token',
      );
      return null;
    }
    return {
      user: user.name,
      role: user.role,
      transport: 'cli',
      peer,
      provedMs: this.now(),
      sessionId: null,
    };
  }

  private note(
    user: StoredUser | null,
    transport: Transport,
    peer: string,
    action: string,
    what: string,
    result: 'ok' | 'refused',
    reason: string,
  ): void {
    this.audit.record({
      atMs: this.now(),
      actor: { user: user?.name ?? null, role: user?.role ?? null, transport, peer },
      action,
      what,
      result,
      reason,
    });
  }
}
