// Runs one API call for either transport: checks the call name and validates the request with
// the contract's schema before the handler sees it.
import { isApiName, requestSchemas, type ApiFailure, type ApiHandlers } from '../../shared/api/contract.ts';
import { formatProblems, problemsFromZod } from '../../shared/validation/problems.ts';
import { ApiRefusal } from './api-refusal.ts';

export type DispatchResult = { ok: true; response: unknown } | { ok: false; error: ApiFailure };

export async function dispatch(
  handlers: ApiHandlers,
  name: unknown,
  request: unknown,
): Promise<DispatchResult> {
  if (!isApiName(name))
    return { ok: false, error: { code: 'unknown-call', message: `unknown call '${String(name)}'` } };
  const parsed = requestSchemas[name].safeParse(request ?? {});
  if (!parsed.success)
    return {
      ok: false,
      error: { code: 'invalid-request', message: formatProblems(problemsFromZod(parsed.error)) },
    };
  try {
    const handler = handlers[name] as (request: unknown) => unknown;
    return { ok: true, response: await handler(parsed.data) };
  } catch (error) {
    return {
      ok: false,
      error: {
        code: error instanceof ApiRefusal ? 'refused' : 'failed',
        message: error instanceof Error ? error.message : String(error),
      },
    };
  }
}
