// Where the console keeps its data when no --data is given: the XDG data home on Linux, the
// usual per-user places elsewhere. The desktop app uses Electron's userData instead.
import os from 'node:os';
import path from 'node:path';

export function defaultDataDir(): string {
  if (process.env.COMMONWATT_DATA) return process.env.COMMONWATT_DATA;
  if (process.platform === 'win32') return path.join(process.env.LOCALAPPDATA ?? os.homedir(), 'Commonwatt');
  if (process.platform === 'darwin')
    return path.join(os.homedir(), 'Library', 'Application Support', 'Commonwatt');
  return path.join(process.env.XDG_DATA_HOME ?? path.join(os.homedir(), '.local', 'share'), 'commonwatt');
}
