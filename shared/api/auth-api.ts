// The session calls of the API (see contract.ts). Signing in happens before there is a session,
// so it is not a call: the browser posts to /auth/sign-in (or follows a one-time sign-in link),
// the desktop app asks its preload. Once signed in, a session can say who it is, prove its
// password again for control actions, change its own password and sign out.
import { z } from 'zod';
import { changes, reads, type CallAccess, type Role } from './access.ts';
import type { EpochMs } from '../units.ts';

export interface SessionView {
  user: string;
  role: Role;
  /** When the password (or sign-in link) was last proved in this session. */
  provedMs: EpochMs;
  /** Control actions run without re-entering the password until then. */
  recentUntilMs: EpochMs;
  /** The session ends after this much inactivity. */
  idleTimeoutMs: number;
  /** The user has no password yet (the first admin, signed in by link): the console asks for one. */
  needsPassword: boolean;
}

/** Passwords travel only in these requests; they are never logged or audited. */
const password = z.string().min(1).max(1024);

export interface AuthApi {
  'auth/session': { request: Record<string, never>; response: SessionView };
  /** Re-enter the password so that control actions run again (see `recentUntilMs`). */
  'auth/reauthenticate': { request: { password: string }; response: SessionView };
  /** Sets the caller's own password; the current one is needed unless the user has none yet. */
  'auth/set-password': {
    request: { current?: string; password: string };
    response: SessionView;
  };
  'auth/sign-out': { request: Record<string, never>; response: { signedOut: true } };
}

export const authSchemas: { [K in keyof AuthApi]: z.ZodType<AuthApi[K]['request']> } = {
  'auth/session': z.object({}).strict(),
  'auth/reauthenticate': z.object({ password }).strict(),
  'auth/set-password': z.object({ current: password.optional(), password }).strict(),
  'auth/sign-out': z.object({}).strict(),
};

/** Who may make each session call (see access.ts): every signed-in user acts on their own session. */
export const authAccess: { [K in keyof AuthApi]: CallAccess } = {
  'auth/session': reads(),
  'auth/reauthenticate': changes('viewer'),
  'auth/set-password': changes('viewer'),
  'auth/sign-out': changes('viewer'),
};

export type AuthEvents = Record<never, never>;
export const authEventNames = [] as const;
