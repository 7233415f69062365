// Validation problems as a person reads them: `json.path: message`, one per line, for the site
// file, market order files and every request that crosses the API boundary.
import type { z } from 'zod';

export interface Problem {
  /** JSON path such as `members[3].bus`; empty for the document itself. */
  path: string;
  message: string;
}

export function pathToString(path: ReadonlyArray<PropertyKey>): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out ? `.${String(part)}` : String(part);
  }
  return out;
}

export function problemsFromZod(error: z.ZodError): Problem[] {
  return error.issues.map((issue) => ({ path: pathToString(issue.path), message: issue.message }));
}

export function formatProblems(problems: readonly Problem[]): string {
  return problems.map((p) => `${p.path || '(document)'}: ${p.message}`).join('\n');
}

export type Checked<T> = { ok: true; value: T } | { ok: false; problems: Problem[] };

/** Parses `input` with `schema`, giving problems instead of throwing. */
export function check<T>(schema: z.ZodType<T>, input: unknown): Checked<T> {
  const result = schema.safeParse(input);
  return result.success
    ? { ok: true, value: result.data }
    : { ok: false, problems: problemsFromZod(result.error) };
}
