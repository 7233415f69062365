// Runs one API call for any transport, in a fixed order that no handler can skip: the call must
// exist, the caller must have a session, the session's role must be the one the call declares,
// a control action needs a recently proved password, and the request must match the contract's
// schema. Only then does the handler run, with the caller as the session says. Every attempt to
// change state is audited (refused and failed ones too), and so is every refusal.
import { roleAllows, type Caller } from '../../shared/api/access.ts';
import {
  callAccess,
  isApiName,
  requestSchemas,
  type ApiFailure,
  type ApiHandlers,
  type FailureCode,
} from '../../shared/api/contract.ts';
import { formatProblems, problemsFromZod } from '../../shared/validation/problems.ts';
import { ApiRefusal } from './api-refusal.ts';
import type { AuditActor, AuditTrail } from './audit-trail.ts';

export type DispatchResult = { ok: true; response: unknown } | { ok: false; error: ApiFailure };

export interface DispatchOptions {
  audit: AuditTrail;
  now(): number;
  /** How long after proving their password a session may run control actions. */
  recentSignInMs: number;
}

/** Who an unauthenticated attempt came from, for the audit. */
export interface Anonymous {
  transport: Caller['transport'];
  peer: string;
}

/** The longest call name the audit keeps of an unknown call. */
const MAX_NAME = 64;

export async function dispatch(
  handlers: ApiHandlers,
  caller: Caller | Anonymous,
  name: unknown,
  request: unknown,
  options: DispatchOptions,
): Promise<DispatchResult> {
  const signedIn = 'user' in caller ? caller : null;
  const actor: AuditActor = {
    user: signedIn?.user ?? null,
    role: signedIn?.role ?? null,
    transport: caller.transport,
    peer: caller.peer,
  };
  const callName = typeof name === 'string' ? name.slice(0, MAX_NAME) : `(${typeof name})`;
  const fail = (code: FailureCode, message: string, audited: boolean): DispatchResult => {
    if (audited)
      options.audit.record({
        atMs: options.now(),
        actor,
        action: callName,
        what: callName,
        result: code === 'failed' ? 'failed' : 'refused',
        reason: `${code}: ${message}`,
      });
    return { ok: false, error: { code, message } };
  };

  if (!isApiName(name)) return fail('unknown-call', `unknown call '${callName}'`, true);
  const access = callAccess[name];
  if (!signedIn) return fail('unauthenticated', 'sign in first', true);
  if (!roleAllows(signedIn.role, access.role))
    return fail(
      'forbidden',
      `'${name}' needs the ${access.role} role; ${signedIn.user} is ${signedIn.role}`,
      true,
    );
  if (access.recentSignIn && options.now() - signedIn.provedMs > options.recentSignInMs)
    return fail(
      'reauthenticate',
      'enter your password again to run control actions (the session proved it too long ago)',
      true,
    );
  const parsed = requestSchemas[name].safeParse(request ?? {});
  if (!parsed.success) return fail('invalid', formatProblems(problemsFromZod(parsed.error)), access.changes);

  try {
    const handler = handlers[name] as (request: unknown, call: { caller: Caller }) => unknown;
    const response = await handler(parsed.data, { caller: signedIn });
    if (access.changes && !access.auditedByHandler)
      options.audit.record({
        atMs: options.now(),
        actor,
        action: name,
        what: name,
        result: 'ok',
        reason: '',
      });
    return { ok: true, response };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    const code: FailureCode = error instanceof ApiRefusal ? error.code : 'failed';
    return fail(code, message, access.changes || code === 'failed');
  }
}
