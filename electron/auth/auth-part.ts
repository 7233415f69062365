// The session calls (see shared/api/auth-api.ts): who am I, prove my password again, set my
// password and sign out (users are managed with `commonwatt users`). Sign-in itself is not a call: it happens at
// the transport (the HTTP sign-in route, the desktop app's preload) before there is a session.
import type { Caller } from '../../shared/api/access.ts';
import type { AuthApi, SessionView } from '../../shared/api/auth-api.ts';
import type { HandlersOf } from '../../shared/api/contract.ts';
import { ApiRefusal } from '../platform/api-refusal.ts';
import type { ConsolePart } from '../platform/console-part.ts';
import type { AuthService } from './auth-service.ts';

export function createAuthPart(auth: AuthService, now: () => number): ConsolePart<HandlersOf<AuthApi>> {
  const view = (caller: Caller): SessionView => {
    const user = auth.users.get(caller.user);
    return {
      user: caller.user,
      role: caller.role,
      provedMs: caller.provedMs,
      recentUntilMs: caller.provedMs + auth.recentSignInMs,
      idleTimeoutMs: auth.sessions.idleTimeoutMs,
      needsPassword: user?.password === null,
    };
  };
  return {
    handlers: {
      'auth/session': (_request, { caller }) => view(caller),
      'auth/reauthenticate': async ({ password }, { caller }) => {
        if (!(await auth.reauthenticate(caller, password)))
          throw new ApiRefusal('unauthenticated', 'wrong password');
        return view({ ...caller, provedMs: now() });
      },
      'auth/set-password': async ({ current, password }, { caller }) => {
        const problem = await auth.changePassword(caller.user, current ?? null, password);
        if (problem) throw new ApiRefusal('invalid', problem);
        return view(caller);
      },
      'auth/sign-out': (_request, { caller }) => {
        auth.signOut(caller);
        return { signedOut: true };
      },
    },
  };
}
