// Where the console keeps its data when no --data is given: the XDG data home on Linux, the
// usual per-user places elsewhere. The desktop app uses Electron's userData instead.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export function defaultDataDir(): string {
  if (process.env.COMMONWATT_DATA) return process.env.COMMONWATT_DATA;
  if (process.platform === 'win32') return path.join(process.env.LOCALAPPDATA ?? os.homedir(), 'Commonwatt');
  if (process.platform === 'darwin')
    return path.join(os.homedir(), 'Library', 'Application Support', 'Commonwatt');
  return path.join(process.env.XDG_DATA_HOME ?? path.join(os.homedir(), '.local', 'share'), 'commonwatt');
}

/**
 * Makes the data directory private to the console's OS user: the directory 0700 and what is in
 * it 0600 (users, sessions' audit, the ledger, samples), and every file the process creates from
 * now on likewise (umask 077), including SQLite's -wal and -shm files.
 */
export function secureDataDir(dir: string): void {
  process.umask(0o077);
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  // A directory of another OS user (a shared or read-only mount) cannot be tightened; what can't be
  // written there is reported by the part that needs it, with the path.
  const tighten = (target: string, mode: number) => {
    try {
      fs.chmodSync(target, mode);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code !== 'EPERM' && code !== 'EACCES' && code !== 'EROFS') throw error;
    }
  };
  tighten(dir, 0o700);
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isFile()) tighten(full, 0o600);
    else if (entry.isDirectory()) tighten(full, 0o700);
  }
}
