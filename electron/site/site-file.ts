// The site file on disk: where the bundled demo is, reading a site file with a bound (stat first,
// regular files only, never more than MAX_SITE_FILE_BYTES), parsing and validating it with errors
// a technician can act on, and replacing it atomically. The site store (site-store.ts) is the only
// writer in a running console; `validate`, `simulate` and `export` read through here too.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { SiteFile } from '../../shared/site/schema.ts';
import { validateSite } from '../../shared/site/validate-site.ts';
import { formatProblems, type Problem } from '../../shared/validation/problems.ts';

export const DEMO_SITE_PATH = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  '../../resources/sites/demo-village.json',
);

/**
 * The largest site file read. The demo village (40 members, 55 devices) is 47 KB; a site of a few
 * thousand members with custom register maps stays under a few MB. Parsing and validating costs
 * several times a document's size in memory, so 16 MiB leaves ample room for any real microgrid
 * while a wrong path (`/dev/zero`, a log file, a disk image) is refused at once instead of being
 * read until memory runs out.
 */
export const MAX_SITE_FILE_BYTES = 16 * 1024 * 1024;

export class SiteLoadError extends Error {
  override name = 'SiteLoadError';
  constructor(
    readonly file: string,
    readonly problems: Problem[],
  ) {
    super(`${file} is not a valid site file:\n${formatProblems(problems)}`);
  }
}

/** True for the site file bundled with the console, which is never written. */
export function isBundledDemo(file: string): boolean {
  return path.resolve(file) === DEMO_SITE_PATH;
}

function refuse(file: string, message: string): never {
  throw new SiteLoadError(file, [{ path: '', message }]);
}

function reasonOf(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  return code === 'ENOENT'
    ? 'no such file'
    : code === 'EACCES'
      ? 'permission denied'
      : code === 'EISDIR'
        ? 'is a directory'
        : (error as Error).message;
}

/**
 * The file's text, read with a bound: a non-regular file (a device such as /dev/zero, a pipe, a
 * directory) or one over `maxBytes` is refused before it is read. The check is made on the open
 * descriptor (non-blocking, so a pipe cannot hang the open), and the read stops one byte past the
 * bound, so a file that grows after the check is refused too.
 */
export function readSiteText(file: string, maxBytes = MAX_SITE_FILE_BYTES): string {
  let fd: number;
  try {
    fd = fs.openSync(file, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
  } catch (error) {
    refuse(file, `cannot read the file: ${reasonOf(error)}`);
  }
  try {
    const stat = fs.fstatSync(fd);
    if (stat.isDirectory()) refuse(file, 'cannot read the file: is a directory');
    if (!stat.isFile())
      refuse(file, 'not a regular file (a device, pipe or socket): give the path of a site file');
    if (stat.size > maxBytes)
      refuse(
        file,
        `the file is ${stat.size} bytes, over the ${maxBytes}-byte limit of a site file: is it the right file?`,
      );
    const buffer = Buffer.alloc(Math.min(stat.size, maxBytes) + 1);
    let length = 0;
    for (;;) {
      if (length === buffer.length)
        refuse(file, `the file grew past the ${maxBytes}-byte limit of a site file while it was read`);
      const read = fs.readSync(fd, buffer, length, buffer.length - length, null);
      if (read === 0) break;
      length += read;
      if (length > maxBytes)
        refuse(file, `the file grew past the ${maxBytes}-byte limit of a site file while it was read`);
    }
    try {
      return new TextDecoder('utf-8', { fatal: true }).decode(buffer.subarray(0, length));
    } catch {
      refuse(file, 'not UTF-8 text');
    }
  } catch (error) {
    if (error instanceof SiteLoadError) throw error;
    refuse(file, `cannot read the file: ${reasonOf(error)}`);
  } finally {
    fs.closeSync(fd);
  }
}

/** The document as JSON, or a SiteLoadError naming the file. */
export function parseSiteJson(text: string, file: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    refuse(file, `not JSON: ${(error as Error).message}`);
  }
}

/** Parses and validates a site document held in memory. */
export function parseSiteText(text: string, file: string): SiteFile {
  const result = validateSite(parseSiteJson(text, file));
  if (!result.ok) throw new SiteLoadError(file, result.problems);
  return result.value;
}

export function loadSiteFile(file: string): SiteFile {
  return parseSiteText(readSiteText(file), file);
}

/**
 * Replaces `file` with `text` atomically: written to a temporary file beside it (same mode),
 * synced, then renamed over it, so a crash leaves the old file or the new one, never half of one.
 */
export function writeSiteFileAtomic(file: string, text: string): void {
  const temp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.tmp`);
  try {
    const mode = fs.statSync(file).mode & 0o777;
    const fd = fs.openSync(temp, 'w', mode);
    try {
      fs.writeSync(fd, text);
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(temp, file);
  } catch (error) {
    fs.rmSync(temp, { force: true });
    throw error;
  }
}

/** The file's own indentation, so that saving does not reformat every line. */
export function indentOf(text: string): string {
  return /^\{\r?\n([ \t]+)"/.exec(text)?.[1] ?? '  ';
}
