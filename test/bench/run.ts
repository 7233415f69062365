// Runs the benchmarks: every test/bench/*.bench.ts, or those named on the command line, one after
// another, printing one JSON object per bench: { "bench": name, ...figures }.
import { readdirSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const named = process.argv.slice(2);
const files = named.length
  ? named.map((arg) => resolve(arg.endsWith('.bench.ts') ? arg : join(here, `${arg}.bench.ts`)))
  : readdirSync(here)
      .filter((file) => file.endsWith('.bench.ts'))
      .sort()
      .map((file) => join(here, file));

let failed = false;
for (const file of files) {
  const bench = basename(file, '.bench.ts');
  try {
    const module = (await import(pathToFileURL(file).href)) as {
      default: () => Promise<Record<string, unknown>>;
    };
    const figures = await module.default();
    console.log(JSON.stringify({ bench, ...figures }));
  } catch (error) {
    failed = true;
    console.log(JSON.stringify({ bench, error: error instanceof Error ? error.message : String(error) }));
  }
}
process.exitCode = failed ? 1 : 0;
