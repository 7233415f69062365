// electron/main/index.ts run in plain Node against a stand-in for the `electron` module (no
// Electron binary exists here): what the shell registers, how it builds and loads the window, and
// what its IPC handler answers. The console itself is a stand-in too; its parts have their own tests.
import { beforeAll, describe, expect, it, vi } from 'vitest';

const electron = vi.hoisted(() => {
  const appListeners = new Map<string, (...args: unknown[]) => void>();
  const ipcHandlers = new Map<string, (...args: unknown[]) => Promise<unknown>>();
  const windows: { options: unknown; loaded: string[]; webContents: { id: number } }[] = [];
  let readyStarted: Promise<unknown> = Promise.resolve();
  const session = {
    setPermissionRequestHandler: vi.fn(),
    setPermissionCheckHandler: vi.fn(),
    setDevicePermissionHandler: vi.fn(),
  };
  class BrowserWindow {
    readonly loaded: string[] = [];
    readonly webContents = { id: 41, send: vi.fn() };
    constructor(readonly options: unknown) {
      windows.push(this);
    }
    once() {}
    on() {}
    isDestroyed() {
      return false;
    }
    loadURL(url: string) {
      this.loaded.push(url);
      return Promise.resolve();
    }
    loadFile(file: string) {
      this.loaded.push(`file:${file}`);
      return Promise.resolve();
    }
  }
  return {
    appListeners,
    ipcHandlers,
    windows,
    session,
    ready: () => readyStarted,
    module: {
      app: {
        isPackaged: false,
        requestSingleInstanceLock: () => true,
        enableSandbox: vi.fn(),
        getPath: () => '/tmp/cw-shell-test',
        quit: vi.fn(),
        on: (name: string, listener: (...args: unknown[]) => void) => appListeners.set(name, listener),
        whenReady: () => ({
          then: (start: () => Promise<unknown>) => {
            readyStarted = start();
            return readyStarted;
          },
        }),
      },
      BrowserWindow,
      ipcMain: {
        handle: (channel: string, handler: (...args: unknown[]) => Promise<unknown>) =>
          ipcHandlers.set(channel, handler),
      },
      protocol: { registerSchemesAsPrivileged: vi.fn(), handle: vi.fn() },
      session: { defaultSession: session },
      shell: { openExternal: vi.fn() },
    },
  };
});

vi.mock('electron', () => electron.module);
// The console as the shell sees it: one user 'ana' (password 'right-password-1'), the audit, and
// `call`, which answers with the caller it was given so the tests can see who the shell says calls.
const consoleStandIn = vi.hoisted(() => {
  const audit: unknown[] = [];
  const sessions = new Map<string, string>();
  return {
    audit,
    app: {
      handlers: {},
      subscribe: () => () => undefined,
      stop: async () => {},
      audit: { record: (entry: unknown) => audit.push(entry) },
      auth: {
        firstRunLink: () => null,
        signIn: async (user: string, password: string) =>
          user === 'ana' && password === 'right-password-1'
            ? (sessions.set('s1', 'ana'), { ok: true, session: { id: 's1', user: 'ana' }, role: 'operator' })
            : { ok: false, status: 401, message: 'wrong user name or password' },
        callerFor: (id: string) =>
          sessions.has(id)
            ? {
                user: sessions.get(id),
                role: 'operator',
                transport: 'ipc',
                peer: 'desktop window',
                provedMs: 0,
                sessionId: id,
              }
            : null,
      },
      call: async (caller: { user?: string }, name: string) =>
        caller.user
          ? { ok: true, response: { name, user: caller.user } }
          : { ok: false, error: { code: 'unauthenticated', message: 'sign in first' } },
    },
  };
});
vi.mock('../../../../electron/app/console-app.ts', () => ({
  startConsole: vi.fn(async () => consoleStandIn.app),
}));

beforeAll(async () => {
  await import('../../../../electron/main/index.ts');
  await electron.ready();
});

describe('the Electron shell', () => {
  it('registers app:// as a privileged scheme before ready and serves it', () => {
    expect(electron.module.protocol.registerSchemesAsPrivileged).toHaveBeenCalledWith([
      { scheme: 'app', privileges: { standard: true, secure: true, codeCache: true } },
    ]);
    expect(electron.module.protocol.handle).toHaveBeenCalledWith('app', expect.any(Function));
  });

  it('turns on the sandbox for every renderer and denies permissions on the session', () => {
    expect(electron.module.app.enableSandbox).toHaveBeenCalled();
    expect(electron.session.setPermissionRequestHandler).toHaveBeenCalled();
    expect(electron.session.setPermissionCheckHandler).toHaveBeenCalled();
    expect(electron.session.setDevicePermissionHandler).toHaveBeenCalled();
  });

  it('loads the console from app://console, never from file://', () => {
    expect(electron.windows).toHaveLength(1);
    expect(electron.windows[0]?.loaded).toEqual(['app://console/index.html']);
  });

  it('locks down every web contents: no navigation, new windows denied, nothing opened outside', () => {
    const listeners = new Map<string, (event: { preventDefault(): void }) => void>();
    let openHandler: ((details: { url: string }) => unknown) | null = null;
    const contents = {
      on: (name: string, listener: (event: { preventDefault(): void }) => void) =>
        listeners.set(name, listener),
      setWindowOpenHandler: (handler: (details: { url: string }) => unknown) => (openHandler = handler),
    };
    electron.appListeners.get('web-contents-created')?.({}, contents);
    const navigation = { preventDefault: vi.fn() };
    listeners.get('will-navigate')?.(navigation);
    expect(navigation.preventDefault).toHaveBeenCalledOnce();
    expect(openHandler).not.toBeNull();
    expect(openHandler!({ url: 'https://example.org/' })).toEqual({ action: 'deny' });
    expect(electron.module.shell.openExternal).not.toHaveBeenCalled();
  });

  it("refuses IPC calls from any frame but the console's own", async () => {
    const call = electron.ipcHandlers.get('commonwatt:call');
    expect(call).toBeDefined();
    const from = (url: string, parent: unknown = null) => ({
      sender: { id: 41 },
      senderFrame: { url, parent },
    });
    for (const url of ['file:///etc/index.html', 'https://evil.example/', 'app://other/index.html'])
      expect(await call!(from(url), 'system/status', {})).toMatchObject({
        ok: false,
        error: { code: 'forbidden' },
      });
    expect(await call!(from('app://console/index.html', {}), 'system/status', {})).toMatchObject({
      ok: false,
      error: { code: 'forbidden' },
    });
  });

  it('audits the refused frames', () => {
    expect(consoleStandIn.audit.length).toBeGreaterThanOrEqual(4);
    expect(consoleStandIn.audit[0]).toMatchObject({ result: 'refused', reason: 'not the console window' });
  });

  it("runs the console window's calls anonymously until it signs in, then as the window's session", async () => {
    const call = electron.ipcHandlers.get('commonwatt:call')!;
    const signIn = electron.ipcHandlers.get('commonwatt:sign-in')!;
    const own = { sender: { id: 41 }, senderFrame: { url: 'app://console/index.html', parent: null } };
    expect(await call(own, 'system/info', {})).toMatchObject({
      ok: false,
      error: { code: 'unauthenticated' },
    });
    expect(await signIn(own, 'ana', 'wrong')).toMatchObject({
      ok: false,
      error: { code: 'unauthenticated' },
    });
    expect(await signIn(own, { user: 'ana' }, null)).toMatchObject({ ok: false, error: { code: 'invalid' } });
    expect(await signIn(own, 'ana', 'right-password-1')).toEqual({
      ok: true,
      response: { user: 'ana', role: 'operator' },
    });
    expect(await call(own, 'system/info', {})).toEqual({
      ok: true,
      response: { name: 'system/info', user: 'ana' },
    });
    // Another window is not signed in by this one's session.
    const other = { sender: { id: 42 }, senderFrame: { url: 'app://console/index.html', parent: null } };
    expect(await call(other, 'system/info', {})).toMatchObject({ ok: false });
  });
});
