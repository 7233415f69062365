// Who may make each call of the API. Every call in the contract declares the role it needs next
// to its request schema (see the *Access maps of each domain); the dispatcher checks the caller's
// session against it before any handler runs, for every transport, so no handler can forget.
// Roles are ranked: each one may do everything the roles below it may.

export const roles = ['viewer', 'operator', 'technician', 'admin'] as const;
/**
 * - viewer: sees everything, changes nothing;
 * - operator: control actions (islanding, shedding, the battery pool), acknowledges alarms;
 * - technician: commissioning, device changes and writes, scans;
 * - admin: users, market and tariff settings, re-settlement.
 */
export type Role = (typeof roles)[number];

export function isRole(value: unknown): value is Role {
  return typeof value === 'string' && (roles as readonly string[]).includes(value);
}

export function roleAllows(has: Role, needs: Role): boolean {
  return roles.indexOf(has) >= roles.indexOf(needs);
}

/** How a caller reached the console. `http` is the sign-in page and the WebSocket upgrade. */
export type Transport = 'ipc' | 'websocket' | 'http' | 'cli' | 'system';

export interface CallAccess {
  /** The least role that may make the call. */
  role: Role;
  /** The call changes state: every attempt is audited, refused or not. */
  changes: boolean;
  /** A control action: the session must be younger than the console's limit, or the password re-entered. */
  recentSignIn: boolean;
  /** The handler writes its own, more specific audit record when it runs (commands to equipment). */
  auditedByHandler: boolean;
}

/** A call that only reads. */
export function reads(role: Role = 'viewer'): CallAccess {
  return { role, changes: false, recentSignIn: false, auditedByHandler: false };
}

/** A call that changes state. */
export function changes(
  role: Role,
  options: { recentSignIn?: boolean; auditedByHandler?: boolean } = {},
): CallAccess {
  return {
    role,
    changes: true,
    recentSignIn: options.recentSignIn ?? false,
    auditedByHandler: options.auditedByHandler ?? false,
  };
}

/** Who is calling, as the session (never the request) says. */
export interface Caller {
  user: string;
  role: Role;
  transport: Transport;
  /** The peer's address (`127.0.0.1:50412`), `window 1` for the desktop app, or `local`. */
  peer: string;
  /** When this session last proved its password (sign-in, sign-in link or re-entry), epoch ms. */
  provedMs: number;
  /** The session's id, so a call can act on its own session (re-authentication, sign-out). */
  sessionId: string | null;
}
