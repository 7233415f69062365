// The Electron shell, and nothing else: one window on the console built by electron/app, served
// from app://console and locked down, wired to the API through two IPC channels whose sender is
// checked. The decisions live in the modules beside this one (window-options, web-contents-guards,
// app-protocol, ipc-sender, window-sessions); this file only hands them Electron's objects.
import { app, BrowserWindow, ipcMain, protocol, session } from 'electron';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  IPC_CALL_CHANNEL,
  IPC_EVENT_CHANNEL,
  IPC_SIGN_IN_CHANNEL,
  type BridgeResult,
} from '../../shared/api/bridge.ts';
import { startConsole, type ConsoleApp } from '../app/console-app.ts';
import { RENDERER_ENTRY_URL, registerAppScheme, serveAppProtocol } from './app-protocol.ts';
import { isConsoleFrame } from './ipc-sender.ts';
import { denyAllPermissions, lockDownContents } from './web-contents-guards.ts';
import { consoleWindowOptions } from './window-options.ts';
import { WindowSessions } from './window-sessions.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
const rendererDir = path.join(here, '../renderer');
const preload = path.join(here, '../preload/index.cjs');
const demoSite = app.isPackaged
  ? path.join(process.resourcesPath, 'sites', 'demo-village.json')
  : path.join(here, '../../resources/sites/demo-village.json');

function siteArgument(): string | undefined {
  const i = process.argv.indexOf('--site');
  return i >= 0 ? process.argv[i + 1] : undefined;
}

let consoleApp: ConsoleApp | null = null;
let window: BrowserWindow | null = null;

// The desktop app uses the console's own users and sessions; a window's session lives here, in
// the main process, keyed by the window, and is looked up in the console's session store at each
// call (an expired or revoked session makes the window anonymous again).
const windowSessions = new WindowSessions(
  (sessionId) => consoleApp?.auth.callerFor(sessionId, 'ipc', 'desktop window') ?? null,
);

/** The caller an IPC call from this window runs as: the window's session, never the page's word. */
function callerFor(webContentsId: number): ReturnType<WindowSessions['callerFor']> {
  return windowSessions.callerFor(webContentsId);
}

/** A message from anything but the console's own frame is refused, and audited. */
function refuseForeignFrame(running: ConsoleApp | null, channel: string, url: string): BridgeResult {
  running?.audit.record({
    atMs: Date.now(),
    actor: { user: null, role: null, transport: 'ipc', peer: url.slice(0, 200) || 'unknown frame' },
    action: channel,
    what: 'IPC message',
    result: 'refused',
    reason: 'not the console window',
  });
  return { ok: false, error: { code: 'forbidden', message: 'refused: not the console window' } };
}

// Before `ready`: the scheme must be privileged before any session exists.
registerAppScheme(protocol);

if (!app.requestSingleInstanceLock()) {
  app.quit();
} else {
  app.on('second-instance', () => {
    if (window) {
      if (window.isMinimized()) window.restore();
      window.focus();
    }
  });
  app.enableSandbox();
  app.on('web-contents-created', (_event, contents) => lockDownContents(contents));
  void app.whenReady().then(start);
}

async function start(): Promise<void> {
  denyAllPermissions(session.defaultSession);
  serveAppProtocol(protocol, rendererDir);

  const siteFile = siteArgument() ?? demoSite;
  consoleApp = await startConsole({
    siteFile,
    dataDir: path.join(app.getPath('userData'), 'data'),
    simulate: siteFile === demoSite || process.argv.includes('--sim'),
    transport: 'ipc',
    log: (message) => console.log(message),
  });

  ipcMain.handle(IPC_CALL_CHANNEL, async (event, name: unknown, request: unknown): Promise<BridgeResult> => {
    const running = consoleApp;
    if (!isConsoleFrame(event.senderFrame))
      return refuseForeignFrame(running, IPC_CALL_CHANNEL, event.senderFrame?.url ?? '');
    if (!running) return { ok: false, error: { code: 'unavailable', message: 'the console is starting' } };
    return running.call(callerFor(event.sender.id), name, request);
  });
  ipcMain.handle(
    IPC_SIGN_IN_CHANNEL,
    async (event, user: unknown, password: unknown): Promise<BridgeResult> => {
      const running = consoleApp;
      if (!isConsoleFrame(event.senderFrame))
        return refuseForeignFrame(running, IPC_SIGN_IN_CHANNEL, event.senderFrame?.url ?? '');
      if (!running) return { ok: false, error: { code: 'unavailable', message: 'the console is starting' } };
      if (typeof user !== 'string' || typeof password !== 'string')
        return { ok: false, error: { code: 'invalid', message: 'a user name and a password' } };
      const result = await running.auth.signIn(
        user.slice(0, 64),
        password.slice(0, 1024),
        'ipc',
        `window ${event.sender.id}`,
      );
      if (!result.ok)
        return {
          ok: false,
          error: { code: result.status === 429 ? 'unavailable' : 'unauthenticated', message: result.message },
        };
      windowSessions.attach(event.sender.id, result.session.id);
      return { ok: true, response: { user: result.session.user, role: result.role } };
    },
  );

  window = new BrowserWindow(consoleWindowOptions(preload));
  const contentsId = window.webContents.id;
  // First run on a fresh data directory: the person at this machine is the first admin, signed in
  // by the same one-time link `serve` prints; the console then asks them to set a password.
  const firstRun = consoleApp.auth.firstRunLink();
  if (firstRun) {
    const signedIn = consoleApp.auth.redeemLink(firstRun, 'ipc', `window ${contentsId}`);
    if (signedIn.ok) windowSessions.attach(contentsId, signedIn.session.id);
  }
  window.once('ready-to-show', () => window?.show());
  // Live events only to a signed-in window: without a session the page shows the sign-in form.
  const unsubscribe = consoleApp.subscribe((name, payload) => {
    if (!window || window.isDestroyed() || !('user' in callerFor(contentsId))) return;
    window.webContents.send(IPC_EVENT_CHANNEL, name, payload);
  });
  window.on('closed', () => {
    unsubscribe();
    windowSessions.forget(contentsId);
    window = null;
  });
  await window.loadURL(RENDERER_ENTRY_URL);
}

app.on('window-all-closed', () => app.quit());
app.on('before-quit', (event) => {
  if (!consoleApp) return;
  event.preventDefault();
  const stopping = consoleApp;
  consoleApp = null;
  void stopping.stop().finally(() => app.quit());
});
