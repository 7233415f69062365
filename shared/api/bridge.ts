// What the Electron preload exposes on `window.commonwatt`: one call function, one event
// subscription and sign-in, nothing else. The channel names are fixed here so main and preload
// agree. Sign-in is not an API call (there is no session yet); the session it opens belongs to the
// window that asked, and the main process keeps it: the page never holds it.
import type { ApiFailure } from './contract.ts';

export const IPC_CALL_CHANNEL = 'commonwatt:call';
export const IPC_EVENT_CHANNEL = 'commonwatt:event';
export const IPC_SIGN_IN_CHANNEL = 'commonwatt:sign-in';

export type BridgeResult = { ok: true; response: unknown } | { ok: false; error: ApiFailure };

export interface CommonwattBridge {
  call(name: string, request: unknown): Promise<BridgeResult>;
  onEvent(listener: (name: string, payload: unknown) => void): () => void;
  /** Signs this window in; the answer carries the user and role, or why not. */
  signIn(user: string, password: string): Promise<BridgeResult>;
}
