// Signing in, which happens before there is an API session, per transport: the browser posts to
// the server's /auth routes (the session then lives in an HttpOnly cookie the page cannot read);
// the desktop app asks its preload, and the main process keeps the session for this window.
import type { CommonwattBridge } from '../../../shared/api/bridge.ts';

export interface SignInResult {
  ok: boolean;
  /** Why not, in words for the person at the form. */
  message: string;
}

export interface SignInTransport {
  /** Whether this page has a session now. */
  signedIn(): Promise<boolean>;
  signIn(user: string, password: string): Promise<SignInResult>;
  /** Ends the session where it lives (the cookie, the window), after the API call ended it on the server. */
  afterSignOut(): Promise<void>;
}

export function browserSignIn(): SignInTransport {
  return {
    async signedIn() {
      const res = await fetch('/auth/session', { credentials: 'same-origin' });
      return res.ok;
    },
    async signIn(user, password) {
      const res = await fetch('/auth/sign-in', {
        method: 'POST',
        credentials: 'same-origin',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ user, password }),
      });
      if (res.ok) return { ok: true, message: '' };
      const body = (await res.json().catch(() => ({}))) as { error?: string };
      return { ok: false, message: body.error ?? `sign-in failed (HTTP ${res.status})` };
    },
    async afterSignOut() {
      await fetch('/auth/sign-out', { method: 'POST', credentials: 'same-origin' });
    },
  };
}

export function ipcSignIn(bridge: CommonwattBridge): SignInTransport {
  return {
    async signedIn() {
      return (await bridge.call('auth/session', {})).ok;
    },
    async signIn(user, password) {
      const result = await bridge.signIn(user, password);
      return result.ok ? { ok: true, message: '' } : { ok: false, message: result.error.message };
    },
    async afterSignOut() {
      // The main process ended the window's session with the API call.
    },
  };
}
