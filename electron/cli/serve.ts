// `commonwatt serve`: the console for a browser, on loopback unless told otherwise.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { startConsole } from '../app/console-app.ts';
import { defaultDataDir } from '../app/data-dir.ts';
import { DEMO_SITE_PATH } from '../app/site-loader.ts';
import { serveConsole } from '../server/console-server.ts';
import { CliUsageError } from './cli-error.ts';

const STATIC_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../out/renderer');

export async function run(args: string[]): Promise<number> {
  const { values } = parse(args);
  const port = Number(values.port ?? '8420');
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new CliUsageError(`--port must be 0..65535, not '${values.port}'`);
  const host = values.host ?? '127.0.0.1';
  const siteFile = path.resolve(values.site ?? DEMO_SITE_PATH);
  const simulate = values['no-sim'] ? false : (values.sim ?? siteFile === DEMO_SITE_PATH);
  if (!fs.existsSync(path.join(STATIC_DIR, 'index.html')))
    throw new Error(`the renderer is not built (${STATIC_DIR} is missing): run 'npm run build' first`);
  if (host !== '127.0.0.1' && host !== 'localhost' && host !== '::1')
    console.error(`warning: serving on ${host}: anyone who can reach this address can see the console`);

  const dataDir = path.resolve(values.data ?? defaultDataDir());
  const app = await startConsole({
    siteFile,
    dataDir,
    simulate,
    transport: 'websocket',
    log: (m) => console.error(m),
  });
  let server;
  try {
    server = await serveConsole(app, { host, port, staticDir: STATIC_DIR });
  } catch (error) {
    await app.stop();
    const code = (error as NodeJS.ErrnoException).code;
    throw new Error(
      code === 'EADDRINUSE' ? `port ${port} is in use: choose another with --port` : (error as Error).message,
    );
  }
  console.log(`Commonwatt console for ${app.site.site.name}: ${server.url}`);
  console.log(`data: ${dataDir}${simulate ? ' · simulated devices on loopback' : ''} · Ctrl+C to stop`);

  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  await server.close();
  await app.stop();
  return 0;
}

function parse(args: string[]) {
  try {
    return parseArgs({
      args,
      options: {
        site: { type: 'string' },
        data: { type: 'string' },
        port: { type: 'string' },
        host: { type: 'string' },
        sim: { type: 'boolean' },
        'no-sim': { type: 'boolean' },
      },
      strict: true,
    });
  } catch (error) {
    throw new CliUsageError((error as Error).message);
  }
}
