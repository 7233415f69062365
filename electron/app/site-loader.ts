// Reads a site file from disk and validates it, with errors a technician can act on.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { SiteFile } from '../../shared/site/schema.ts';
import { validateSite } from '../../shared/site/validate-site.ts';
import { formatProblems, type Problem } from '../../shared/validation/problems.ts';

export const DEMO_SITE_PATH = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  '../../resources/sites/demo-village.json',
);

export class SiteLoadError extends Error {
  override name = 'SiteLoadError';
  constructor(
    readonly file: string,
    readonly problems: Problem[],
  ) {
    super(`${file} is not a valid site file:\n${formatProblems(problems)}`);
  }
}

/** Parses and validates a site document held in memory. */
export function parseSiteText(text: string, file: string): SiteFile {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new SiteLoadError(file, [{ path: '', message: `not JSON: ${(error as Error).message}` }]);
  }
  const result = validateSite(json);
  if (!result.ok) throw new SiteLoadError(file, result.problems);
  return result.value;
}

export function loadSiteFile(file: string): SiteFile {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const reason =
      code === 'ENOENT'
        ? 'no such file'
        : code === 'EACCES'
          ? 'permission denied'
          : code === 'EISDIR'
            ? 'is a directory'
            : (error as Error).message;
    throw new SiteLoadError(file, [{ path: '', message: `cannot read the file: ${reason}` }]);
  }
  return parseSiteText(text, file);
}
