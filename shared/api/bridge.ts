// What the Electron preload exposes on `window.commonwatt`: one call function and one event
// subscription, nothing else. The channel names are fixed here so main and preload agree.
import type { ApiFailure } from './contract.ts';

export const IPC_CALL_CHANNEL = 'commonwatt:call';
export const IPC_EVENT_CHANNEL = 'commonwatt:event';

export type BridgeResult = { ok: true; response: unknown } | { ok: false; error: ApiFailure };

export interface CommonwattBridge {
  call(name: string, request: unknown): Promise<BridgeResult>;
  onEvent(listener: (name: string, payload: unknown) => void): () => void;
}
