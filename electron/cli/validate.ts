// `commonwatt validate FILE`: `valid`, or every problem as `json.path: message` (a problem with
// the file itself as `FILE: message`). The file is read with a bound: see site-file.ts.
import { parseArgs } from 'node:util';
import { loadSiteFile, SiteLoadError } from '../site/site-file.ts';
import { formatProblems } from '../../shared/validation/problems.ts';
import { CliUsageError } from './cli-error.ts';

export async function run(args: string[]): Promise<number> {
  let positionals: string[];
  try {
    ({ positionals } = parseArgs({ args, allowPositionals: true, options: {}, strict: true }));
  } catch (error) {
    throw new CliUsageError((error as Error).message);
  }
  const [file] = positionals;
  if (!file || positionals.length > 1) throw new CliUsageError('give exactly one site file');
  try {
    loadSiteFile(file);
  } catch (error) {
    if (error instanceof SiteLoadError) {
      // A problem with the file itself (unreadable, not JSON, too large) names the file.
      console.log(
        formatProblems(error.problems.map((p) => (p.path ? p : { path: file, message: p.message }))),
      );
      return 1;
    }
    throw error;
  }
  console.log('valid');
  return 0;
}
