// The preload: one call function and one event subscription on `window.commonwatt`, over two
// fixed channels. The renderer never sees ipcRenderer itself.
import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron';
import {
  IPC_CALL_CHANNEL,
  IPC_EVENT_CHANNEL,
  IPC_SIGN_IN_CHANNEL,
  type BridgeResult,
  type CommonwattBridge,
} from '../../shared/api/bridge.ts';

const bridge: CommonwattBridge = {
  call: (name, request) =>
    ipcRenderer.invoke(IPC_CALL_CHANNEL, String(name), request) as Promise<BridgeResult>,
  signIn: (user, password) =>
    ipcRenderer.invoke(IPC_SIGN_IN_CHANNEL, String(user), String(password)) as Promise<BridgeResult>,
  onEvent(listener) {
    const handler = (_event: IpcRendererEvent, name: unknown, payload: unknown) => {
      if (typeof name === 'string') listener(name, payload);
    };
    ipcRenderer.on(IPC_EVENT_CHANNEL, handler);
    return () => ipcRenderer.off(IPC_EVENT_CHANNEL, handler);
  },
};

contextBridge.exposeInMainWorld('commonwatt', bridge);
