import { describe, expect, it, vi } from 'vitest';
import {
  denyAllPermissions,
  lockDownContents,
  type GuardedContents,
  type PermissionSession,
  type Preventable,
} from '../../../../electron/main/web-contents-guards.ts';

function standInSession() {
  const handlers: {
    request?: (wc: unknown, permission: unknown, callback: (granted: boolean) => void) => void;
    check?: () => boolean;
    device?: () => boolean;
  } = {};
  const session: PermissionSession = {
    setPermissionRequestHandler: (handler) => void (handlers.request = handler),
    setPermissionCheckHandler: (handler) => void (handlers.check = handler),
    setDevicePermissionHandler: (handler) => void (handlers.device = handler),
  };
  return { session, handlers };
}

function standInContents() {
  const listeners = new Map<string, (event: Preventable) => void>();
  let openHandler: ((details: { url: string }) => { action: string }) | null = null;
  const contents: GuardedContents = {
    on: (event: string, listener: (event: Preventable) => void) => listeners.set(event, listener),
    setWindowOpenHandler: (handler) => void (openHandler = handler),
  };
  const fire = (name: string) => {
    const event = { preventDefault: vi.fn() };
    const listener = listeners.get(name);
    if (!listener) throw new Error(`no listener for ${name}`);
    listener(event);
    return event.preventDefault;
  };
  return { contents, fire, open: (url: string) => openHandler?.({ url }) ?? null };
}

describe('permissions', () => {
  it('refuses every permission request, whatever is asked', () => {
    const { session, handlers } = standInSession();
    denyAllPermissions(session);
    for (const permission of ['media', 'geolocation', 'notifications', 'openExternal', 'clipboard-read']) {
      const callback = vi.fn();
      handlers.request?.({}, permission, callback);
      expect(callback).toHaveBeenCalledExactlyOnceWith(false);
    }
  });

  it('answers every permission check and device check with no', () => {
    const { session, handlers } = standInSession();
    denyAllPermissions(session);
    expect(handlers.check?.()).toBe(false);
    expect(handlers.device?.()).toBe(false);
  });
});

describe('navigation and new windows', () => {
  it('prevents navigation, frame navigation, redirects and webviews', () => {
    const { contents, fire } = standInContents();
    lockDownContents(contents);
    for (const name of ['will-navigate', 'will-frame-navigate', 'will-redirect', 'will-attach-webview'])
      expect(fire(name), name).toHaveBeenCalledOnce();
  });

  it('denies every new window, https or not', () => {
    const { contents, open } = standInContents();
    lockDownContents(contents);
    for (const url of [
      'https://example.org/',
      'http://evil.example/',
      'file:///etc/passwd',
      'app://console/x',
    ])
      expect(open(url)).toEqual({ action: 'deny' });
  });
});
