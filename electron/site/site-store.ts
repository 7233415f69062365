// The one holder of the site in a running console: loads and validates the site file, hands out
// the current site, checks and saves changes (a patch on the file's JSON as it is on disk, the
// whole document validated as `commonwatt validate` would, the earlier file kept as a versioned
// backup, then an atomic replace), and tells every subscriber of the saved site, so a change
// applies without a restart. Saves are synchronous from read to rename, so two saves in this
// process never interleave.
import fs from 'node:fs';
import path from 'node:path';
import type { SiteFile } from '../../shared/site/schema.ts';
import { validateSite } from '../../shared/site/validate-site.ts';
import type { Problem } from '../../shared/validation/problems.ts';
import type {
  SiteAccess,
  SiteChange,
  SiteCheck,
  SiteDocument,
  SiteHolder,
  SitePatch,
  SiteSave,
} from '../platform/site-holder.ts';
import { DEFAULT_KEPT_BACKUPS, SiteBackups, type SiteBackup } from './site-backups.ts';
import {
  indentOf,
  isBundledDemo,
  loadSiteFile,
  parseSiteJson,
  readSiteText,
  SiteLoadError,
  writeSiteFileAtomic,
} from './site-file.ts';

export type { SiteAccess, SiteChange, SiteCheck, SiteDocument, SitePatch, SiteSave };

export interface SiteStoreOptions {
  /** Where `site-backups/` goes: the console's data directory; beside the site file without one. */
  dataDir?: string;
  /** Backups kept (the newest), 20 by default. */
  keepBackups?: number;
  now?: () => number;
  /** Where a subscriber's failure is reported; the save itself has succeeded by then. */
  log?: (message: string) => void;
}

export const DEMO_READ_ONLY_REASON =
  'the bundled demo site is read-only: copy it (cp resources/sites/demo-village.json my-site.json), then start the console with --site my-site.json to change it';

export class SiteStore implements SiteHolder {
  private site: SiteFile;
  private readonly listeners = new Set<(change: SiteChange) => void>();
  private readonly backupStore: SiteBackups;
  private readonly now: () => number;
  private readonly log: (message: string) => void;

  /** A store over `file` whose validated content is `site` (tests and in-memory sites). */
  constructor(
    readonly file: string,
    site: SiteFile,
    options: SiteStoreOptions = {},
  ) {
    this.site = site;
    this.now = options.now ?? Date.now;
    this.log = options.log ?? (() => undefined);
    this.backupStore = new SiteBackups(
      options.dataDir ?? path.dirname(file),
      file,
      options.keepBackups ?? DEFAULT_KEPT_BACKUPS,
    );
  }

  /** Reads and validates `file`; throws SiteLoadError listing every problem. */
  static load(file: string, options: SiteStoreOptions = {}): SiteStore {
    return new SiteStore(file, loadSiteFile(file), options);
  }

  /** The site as last loaded or saved. */
  current(): SiteFile {
    return this.site;
  }

  /** The bundled demo is never written; other files when the OS lets us replace them. */
  access(): SiteAccess {
    const file = this.file;
    if (isBundledDemo(file)) return { file, writable: false, reason: DEMO_READ_ONLY_REASON };
    try {
      fs.accessSync(file, fs.constants.W_OK);
      // The new file is written beside it and renamed over it.
      fs.accessSync(path.dirname(file), fs.constants.W_OK);
    } catch (error) {
      return {
        file,
        writable: false,
        reason: `cannot write ${file} or its folder (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}): fix its permissions or start the console with --site on a copy you can write`,
      };
    }
    return { file, writable: true, reason: null };
  }

  /** The site as it would be after `patch`; nothing is written. */
  check(patch: SitePatch): SiteCheck {
    const candidate = this.candidate(patch);
    return candidate.ok ? { ok: true, site: candidate.site } : candidate;
  }

  /**
   * Applies `patch` to the file as it is on disk and, when the whole document validates, keeps
   * the earlier file as a backup, replaces the file atomically, makes the result current and
   * tells the subscribers. `actor` is who saves, recorded with the backup.
   */
  save(patch: SitePatch, actor: string): SiteSave {
    const access = this.access();
    if (!access.writable)
      return { ok: false, problems: [{ path: '', message: access.reason ?? 'read-only' }] };
    const candidate = this.candidate(patch);
    if (!candidate.ok) return candidate;
    const timeMs = this.now();
    let backup: string;
    try {
      backup = this.backupStore.add(candidate.text, actor, timeMs);
      writeSiteFileAtomic(this.file, `${JSON.stringify(candidate.doc, null, indentOf(candidate.text))}\n`);
    } catch (error) {
      return {
        ok: false,
        problems: [
          { path: '', message: `cannot write the site file ${this.file}: ${(error as Error).message}` },
        ],
      };
    }
    this.site = candidate.site;
    const change: SiteChange = { site: candidate.site, actor, timeMs };
    for (const listener of this.listeners) {
      try {
        listener(change);
      } catch (error) {
        this.log(`site: a part could not apply the saved site: ${(error as Error).message}`);
      }
    }
    return { ok: true, site: candidate.site, file: this.file, backup };
  }

  /** Hears of every saved site, after the file is written. */
  subscribe(listener: (change: SiteChange) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** The kept earlier versions, oldest first. */
  backups(): SiteBackup[] {
    return this.backupStore.list();
  }

  private candidate(
    patch: SitePatch,
  ): { ok: true; site: SiteFile; doc: SiteDocument; text: string } | { ok: false; problems: Problem[] } {
    let text: string;
    let doc: unknown;
    try {
      text = readSiteText(this.file);
      doc = parseSiteJson(text, this.file);
    } catch (error) {
      if (!(error instanceof SiteLoadError)) throw error;
      return {
        ok: false,
        problems: error.problems.map((p) => ({ ...p, message: `the site file ${this.file}: ${p.message}` })),
      };
    }
    if (typeof doc !== 'object' || doc === null || Array.isArray(doc))
      return {
        ok: false,
        problems: [{ path: '', message: `the site file ${this.file} is not a JSON object` }],
      };
    const problems = patch(doc as SiteDocument);
    if (problems.length > 0) return { ok: false, problems };
    const checked = validateSite(doc);
    if (!checked.ok) return { ok: false, problems: checked.problems };
    return { ok: true, site: checked.value, doc: doc as SiteDocument, text };
  }
}
