// The desktop shell's refusals, in one place: no permission is ever granted to the page (asked
// for or merely checked), no navigation away from the console, no new windows and nothing
// handed to the operating system to open, no <webview>. Each takes the Electron object it guards,
// so the rules run in plain Node tests against stand-ins.

/** A `preventDefault`-able Electron event. */
export interface Preventable {
  preventDefault(): void;
}

/** What of a session the permission guards need. */
export interface PermissionSession {
  setPermissionRequestHandler(
    handler: (webContents: unknown, permission: unknown, callback: (granted: boolean) => void) => void,
  ): void;
  setPermissionCheckHandler(handler: () => boolean): void;
  setDevicePermissionHandler(handler: () => boolean): void;
}

/** What of a WebContents the navigation and window guards need. */
export interface GuardedContents {
  on(event: 'will-navigate', listener: (event: Preventable) => void): unknown;
  on(event: 'will-frame-navigate', listener: (event: Preventable) => void): unknown;
  on(event: 'will-redirect', listener: (event: Preventable) => void): unknown;
  on(event: 'will-attach-webview', listener: (event: Preventable) => void): unknown;
  setWindowOpenHandler(handler: (details: { url: string }) => { action: 'deny' }): void;
}

// The console needs no camera, microphone, notifications, geolocation, clipboard reads, HID,
// serial or USB: it talks to devices from the main process, over Modbus/TCP.
export function denyAllPermissions(session: PermissionSession): void {
  session.setPermissionRequestHandler((_webContents, _permission, callback) => callback(false));
  session.setPermissionCheckHandler(() => false);
  session.setDevicePermissionHandler(() => false);
}

// Loading the console itself (`loadURL`) is not a navigation these events see; everything the
// page or a redirect asks for is. Links in the console are in-page; none leaves it, and none is
// passed to `shell.openExternal`, so a compromised page cannot make the OS open anything.
export function lockDownContents(contents: GuardedContents): void {
  const refuse = (event: Preventable) => event.preventDefault();
  contents.on('will-navigate', refuse);
  contents.on('will-frame-navigate', refuse);
  contents.on('will-redirect', refuse);
  contents.on('will-attach-webview', refuse);
  contents.setWindowOpenHandler(() => ({ action: 'deny' }));
}
