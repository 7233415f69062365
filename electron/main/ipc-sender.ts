// Whether an IPC message comes from the console's own top-level frame (Electron security
// checklist 17). The check is on the sender frame's URL, parsed, against the app:// origin: a
// frame from anywhere else, an iframe, or a frame that has gone away is refused.
import { APP_HOST, APP_SCHEME } from './app-protocol.ts';

export interface IpcSenderFrame {
  url: string;
  /** `null` for a top-level frame. */
  parent: unknown;
}

export function isConsoleFrame(frame: IpcSenderFrame | null | undefined): boolean {
  if (!frame || frame.parent !== null) return false;
  let url: URL;
  try {
    url = new URL(frame.url);
  } catch {
    return false;
  }
  // WHATWG gives a non-special scheme the opaque origin 'null', so compare its parts instead.
  return (
    url.protocol === `${APP_SCHEME}:` && url.host === APP_HOST && url.username === '' && url.password === ''
  );
}
