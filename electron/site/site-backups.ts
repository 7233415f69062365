// Versioned backups of the site file: before each save replaces it, the file as it was is kept in
// DIR/site-backups/ (DIR the console's data directory) with who replaced it and when, and only the
// newest `keep` (20 by default) are kept. The data directory, not the site file's folder: it is the
// console's own private, writable place, while the site file may sit in a shared or versioned
// folder that backups would clutter.
//
// Each backup is `STEM.SEQ.TIME.json` — the earlier file byte for byte, so restoring is a copy — and
// `STEM.SEQ.TIME.meta` beside it: {"savedAt", "actor", "siteFile"}. STEM is the site file's name
// without `.json`, SEQ counts up from 1, TIME is UTC (20260621T190000123Z).
import fs from 'node:fs';
import path from 'node:path';

export const DEFAULT_KEPT_BACKUPS = 20;
export const BACKUPS_FOLDER = 'site-backups';

export interface SiteBackup {
  /** Path of the kept copy. */
  file: string;
  seq: number;
  /** When the save that replaced this version was made (epoch ms). */
  savedAtMs: number;
  /** Who made that save; `unknown` when its record is missing. */
  actor: string;
}

interface BackupMeta {
  savedAt: string;
  actor: string;
  siteFile: string;
}

function compactTime(timeMs: number): string {
  return new Date(timeMs).toISOString().replace(/[-:.]/g, '');
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

export class SiteBackups {
  readonly dir: string;
  private readonly stem: string;
  private readonly pattern: RegExp;

  constructor(
    dataDir: string,
    private readonly siteFile: string,
    readonly keep = DEFAULT_KEPT_BACKUPS,
  ) {
    if (!Number.isInteger(keep) || keep < 1)
      throw new RangeError(`site backups: keep must be at least 1, not ${keep}`);
    this.dir = path.join(dataDir, BACKUPS_FOLDER);
    this.stem = path.basename(siteFile).replace(/\.json$/i, '');
    this.pattern = new RegExp(`^${escapeRegExp(this.stem)}\\.(\\d+)\\.(\\d{8}T\\d{9}Z)\\.json$`);
  }

  /**
   * Keeps `previousText` (the file a save is about to replace) as the next backup, recording who
   * saves and when, then drops the oldest beyond `keep`. Returns the backup's path.
   */
  add(previousText: string, actor: string, timeMs: number): string {
    fs.mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    const seq = (this.list().at(-1)?.seq ?? 0) + 1;
    const name = `${this.stem}.${String(seq).padStart(6, '0')}.${compactTime(timeMs)}`;
    const file = path.join(this.dir, `${name}.json`);
    const meta: BackupMeta = {
      savedAt: new Date(timeMs).toISOString(),
      actor,
      siteFile: path.resolve(this.siteFile),
    };
    writeSynced(file, previousText);
    writeSynced(path.join(this.dir, `${name}.meta`), `${JSON.stringify(meta)}\n`);
    this.prune();
    return file;
  }

  /** This site file's backups, oldest first. */
  list(): SiteBackup[] {
    let names: string[];
    try {
      names = fs.readdirSync(this.dir);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw error;
    }
    const backups: SiteBackup[] = [];
    for (const name of names) {
      const match = this.pattern.exec(name);
      if (!match) continue;
      const file = path.join(this.dir, name);
      const meta = readMeta(file.replace(/\.json$/, '.meta'));
      backups.push({
        file,
        seq: Number(match[1]),
        savedAtMs: meta ? Date.parse(meta.savedAt) : fs.statSync(file).mtimeMs,
        actor: meta?.actor ?? 'unknown',
      });
    }
    return backups.sort((a, b) => a.seq - b.seq);
  }

  private prune(): void {
    const backups = this.list();
    for (const old of backups.slice(0, Math.max(0, backups.length - this.keep))) {
      fs.rmSync(old.file, { force: true });
      fs.rmSync(old.file.replace(/\.json$/, '.meta'), { force: true });
    }
  }
}

function writeSynced(file: string, text: string): void {
  const fd = fs.openSync(file, 'wx', 0o600);
  try {
    fs.writeSync(fd, text);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

function readMeta(file: string): BackupMeta | null {
  try {
    const meta = JSON.parse(fs.readFileSync(file, 'utf8')) as Partial<BackupMeta>;
    return typeof meta.savedAt === 'string' && typeof meta.actor === 'string'
      ? { savedAt: meta.savedAt, actor: meta.actor, siteFile: String(meta.siteFile ?? '') }
      : null;
  } catch {
    return null;
  }
}
