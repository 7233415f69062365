// `commonwatt serve`: the console for a browser, on loopback unless told otherwise. Beyond
// loopback only with TLS and a user who has a password; on a fresh data directory it creates the
// first admin and prints a one-time sign-in link; it writes the CLI's token for `control`.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { startConsole } from '../app/console-app.ts';
import { defaultDataDir } from '../app/data-dir.ts';
import { DEMO_SITE_PATH } from '../site/site-file.ts';
import { DEFAULT_RECENT_SIGN_IN_MS } from '../auth/auth-service.ts';
import { DEFAULT_SESSION_LIMITS } from '../auth/session-store.ts';
import { UserStore } from '../auth/user-store.ts';
import { isLoopback, serveConsole } from '../server/console-server.ts';
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
  if ((values['tls-cert'] === undefined) !== (values['tls-key'] === undefined))
    throw new CliUsageError('--tls-cert and --tls-key go together');
  const tls =
    values['tls-cert'] !== undefined && values['tls-key'] !== undefined
      ? { cert: readPem(values['tls-cert'], 'certificate'), key: readPem(values['tls-key'], 'key') }
      : undefined;
  const minutes = (name: 'session-idle-minutes' | 'recent-sign-in-minutes', fallback: number) => {
    const value = Number(values[name] ?? fallback);
    if (!Number.isFinite(value) || value < 0.05 || value > 7 * 24 * 60)
      throw new CliUsageError(`--${name} must be 0.05..10080 minutes, not '${values[name]}'`);
    return value * 60_000;
  };
  const idleTimeoutMs = minutes('session-idle-minutes', DEFAULT_SESSION_LIMITS.idleTimeoutMs / 60_000);
  const recentSignInMs = minutes('recent-sign-in-minutes', DEFAULT_RECENT_SIGN_IN_MS / 60_000);

  const dataDir = path.resolve(values.data ?? defaultDataDir());
  if (!isLoopback(host)) {
    // Beyond this machine, passwords and session cookies must not cross the network in clear,
    // and nobody may reach a console whose only way in is a sign-in link printed here.
    if (!tls)
      throw new CliUsageError(
        `refusing to serve on ${host} without TLS: give --tls-cert FILE --tls-key FILE (PEM), or serve on 127.0.0.1`,
      );
    const withPassword = new UserStore(dataDir).list().filter((u) => u.password !== null);
    if (withPassword.length === 0)
      throw new CliUsageError(
        `refusing to serve on ${host}: no user in ${dataDir} has a password yet. Add one first: commonwatt users add NAME --role admin --data ${dataDir}`,
      );
  }

  const app = await startConsole({
    siteFile,
    dataDir,
    simulate,
    transport: 'websocket',
    log: (m) => console.error(m),
    sessions: { ...DEFAULT_SESSION_LIMITS, idleTimeoutMs },
    recentSignInMs,
  });
  let server;
  try {
    server = await serveConsole(app, {
      host,
      port,
      staticDir: STATIC_DIR,
      ...(tls ? { tls } : {}),
      ...(values['allow-host'] ? { extraHosts: values['allow-host'] } : {}),
      log: (m) => console.error(m),
    });
  } catch (error) {
    await app.stop();
    const code = (error as NodeJS.ErrnoException).code;
    throw new Error(
      code === 'EADDRINUSE' ? `port ${port} is in use: choose another with --port` : (error as Error).message,
    );
  }
  try {
    console.log(`Commonwatt console for ${app.sites.current().site.name}: ${server.url}`);
    console.log(`data: ${dataDir}${simulate ? ' · simulated devices on loopback' : ''} · Ctrl+C to stop`);
    const link = app.auth.firstRunLink();
    if (link) {
      console.log(`Sign in as the first admin with this one-time link (valid for an hour):`);
      console.log(`  ${server.signInUrl(link)}`);
      console.log(`Then set a password in the console, or: commonwatt users passwd admin --data ${dataDir}`);
    }
    const cliUser = values['cli-user'] ?? app.auth.users.list().find((u) => u.role === 'admin')?.name ?? null;
    if (cliUser && app.auth.users.get(cliUser)) {
      const file = app.auth.writeCliToken(cliUser);
      console.log(`CLI token for ${cliUser}: ${file} (commonwatt control … --data ${dataDir})`);
    } else console.error(`warning: no user '${values['cli-user']}': no CLI token written`);
  } catch (error) {
    await server.close();
    await app.stop();
    throw error;
  }

  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  await server.close();
  await app.stop();
  return 0;
}

function readPem(file: string, what: string): Buffer {
  try {
    return fs.readFileSync(file);
  } catch (error) {
    throw new CliUsageError(`cannot read the TLS ${what} ${file}: ${(error as Error).message}`);
  }
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
        'tls-cert': { type: 'string' },
        'tls-key': { type: 'string' },
        'allow-host': { type: 'string', multiple: true },
        'session-idle-minutes': { type: 'string' },
        'recent-sign-in-minutes': { type: 'string' },
        'cli-user': { type: 'string' },
      },
      strict: true,
    });
  } catch (error) {
    throw new CliUsageError((error as Error).message);
  }
}
