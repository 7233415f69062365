// The Electron shell, and nothing else: one window on the console built by electron/app,
// locked down (context isolation, sandbox, CSP, no navigation, no new windows, no permissions)
// and wired to the API through two IPC channels whose sender is checked.
import { app, BrowserWindow, ipcMain, session, shell, type IpcMainInvokeEvent } from 'electron';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { IPC_CALL_CHANNEL, IPC_EVENT_CHANNEL } from '../../shared/api/bridge.ts';
import { startConsole, type ConsoleApp } from '../app/console-app.ts';
import { dispatch } from '../platform/dispatch.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
const rendererIndex = path.join(here, '../renderer/index.html');
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
  void app.whenReady().then(start);
}

function isOurFrame(event: IpcMainInvokeEvent): boolean {
  const url = event.senderFrame?.url ?? '';
  return url.startsWith('file://') && fileURLToPath(url.split('#')[0] ?? '') === rendererIndex;
}

async function start(): Promise<void> {
  // No permission (camera, notifications, geolocation ...) is ever granted to the page.
  session.defaultSession.setPermissionRequestHandler((_wc, _permission, callback) => callback(false));
  app.on('web-contents-created', (_event, contents) => {
    contents.on('will-navigate', (event) => event.preventDefault());
    contents.on('will-attach-webview', (event) => event.preventDefault());
    contents.setWindowOpenHandler(({ url }) => {
      if (url.startsWith('https://')) void shell.openExternal(url);
      return { action: 'deny' };
    });
  });

  const siteFile = siteArgument() ?? demoSite;
  consoleApp = await startConsole({
    siteFile,
    dataDir: path.join(app.getPath('userData'), 'data'),
    simulate: siteFile === demoSite || process.argv.includes('--sim'),
    transport: 'ipc',
    log: (message) => console.log(message),
  });

  ipcMain.handle(IPC_CALL_CHANNEL, async (event, name: unknown, request: unknown) => {
    if (!isOurFrame(event))
      return { ok: false, error: { code: 'failed', message: 'refused: not the console window' } };
    if (!consoleApp) return { ok: false, error: { code: 'failed', message: 'the console is starting' } };
    return dispatch(consoleApp.handlers, name, request);
  });

  window = new BrowserWindow({
    width: 1600,
    height: 960,
    backgroundColor: '#0b0f14',
    title: 'Commonwatt',
    show: false,
    webPreferences: {
      preload,
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      webSecurity: true,
      webviewTag: false,
      spellcheck: false,
    },
  });
  window.once('ready-to-show', () => window?.show());
  const unsubscribe = consoleApp.subscribe((name, payload) => {
    if (window && !window.isDestroyed()) window.webContents.send(IPC_EVENT_CHANNEL, name, payload);
  });
  window.on('closed', () => {
    unsubscribe();
    window = null;
  });
  await window.loadFile(rendererIndex);
}

app.on('window-all-closed', () => app.quit());
app.on('before-quit', (event) => {
  if (!consoleApp) return;
  event.preventDefault();
  const stopping = consoleApp;
  consoleApp = null;
  void stopping.stop().finally(() => app.quit());
});
