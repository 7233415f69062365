// What parts are given of the site: the one holder in a running console (electron/site/site-store.ts
// implements it). Declared here, below the domains and the store, so a part's context names it
// without importing the store.
import type { SiteFile } from '../../shared/site/schema.ts';
import type { Problem } from '../../shared/validation/problems.ts';

/** The site file's JSON as written, before defaults are filled in: what a patch edits. */
export type SiteDocument = Record<string, unknown>;

/** Edits the document in place; any problem returned refuses the change. */
export type SitePatch = (doc: SiteDocument) => Problem[];

export type SiteCheck = { ok: true; site: SiteFile } | { ok: false; problems: Problem[] };

export type SiteSave =
  { ok: true; site: SiteFile; file: string; backup: string } | { ok: false; problems: Problem[] };

/** Whether saves can write the site file, and why not. */
export interface SiteAccess {
  file: string;
  writable: boolean;
  reason: string | null;
}

export interface SiteChange {
  site: SiteFile;
  /** Who saved (the session's user). */
  actor: string;
  timeMs: number;
}

export interface SiteHolder {
  readonly file: string;
  /** The site as last loaded or saved. */
  current(): SiteFile;
  access(): SiteAccess;
  /** The site as it would be after `patch`; nothing is written. */
  check(patch: SitePatch): SiteCheck;
  /** Validates, keeps a backup, writes atomically, then tells every subscriber; `actor` is who saves. */
  save(patch: SitePatch, actor: string): SiteSave;
  /** Hears of every saved site, after the file is written. */
  subscribe(listener: (change: SiteChange) => void): () => void;
}
