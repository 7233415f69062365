// Checks and saves the site file's `market` block and its `tariff`, which the market view edits
// beside it: the candidate replaces the blocks in the file's JSON as it is on disk, the whole
// document is validated as `commonwatt validate` would, plus the market's own cross-checks, and
// only a valid document is written — to a temporary file that is synced and renamed over the
// original, after the original is kept as FILE.bak.
import fs from 'node:fs';
import path from 'node:path';
import type { SiteFile } from '../../shared/site/schema.ts';
import { validateSite } from '../../shared/site/validate-site.ts';
import type { Problem } from '../../shared/validation/problems.ts';
import { marketSettingsFindings } from '../../shared/market/site-settings.ts';

type Json = Record<string, unknown>;

export type CandidateCheck =
  | { ok: true; site: SiteFile; doc: Json; text: string; warnings: Problem[] }
  | { ok: false; problems: Problem[]; warnings: Problem[] };

/** The site file with `market` (and `tariff`, when given) replaced, validated; nothing is written. */
export function checkMarketCandidate(file: string, market: unknown, tariff?: unknown): CandidateCheck {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    return {
      ok: false,
      problems: [{ path: '', message: `cannot read the site file ${file}: ${(error as Error).message}` }],
      warnings: [],
    };
  }
  let doc: Json;
  try {
    doc = JSON.parse(text) as Json;
  } catch (error) {
    return {
      ok: false,
      problems: [{ path: '', message: `the site file ${file} is not JSON: ${(error as Error).message}` }],
      warnings: [],
    };
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc))
    return {
      ok: false,
      problems: [{ path: '', message: `the site file ${file} is not a JSON object` }],
      warnings: [],
    };
  // Assigning keeps the key's place in the document, so a diff of the file shows only the block.
  doc.market = market;
  if (tariff !== undefined) doc.tariff = tariff;
  const checked = validateSite(doc);
  if (!checked.ok) return { ok: false, problems: checked.problems, warnings: [] };
  const findings = marketSettingsFindings(checked.value);
  if (findings.problems.length) return { ok: false, ...findings };
  return { ok: true, site: checked.value, doc, text, warnings: findings.warnings };
}

export type SaveOutcome =
  { ok: true; site: SiteFile; backup: string; warnings: Problem[] } | { ok: false; problems: Problem[] };

/**
 * Replaces the `market` block when the result validates. Synchronous from read to rename, so no
 * other writer in this process (commissioning saves devices to the same file) can interleave.
 */
export function saveMarketSettings(file: string, market: unknown, tariff?: unknown): SaveOutcome {
  const checked = checkMarketCandidate(file, market, tariff);
  if (!checked.ok) return { ok: false, problems: checked.problems };
  const backup = `${file}.bak`;
  const temp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.tmp`);
  try {
    const mode = fs.statSync(file).mode & 0o777;
    fs.copyFileSync(file, backup);
    const fd = fs.openSync(temp, 'w', mode);
    try {
      fs.writeSync(fd, `${JSON.stringify(checked.doc, null, indentOf(checked.text))}\n`);
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(temp, file);
  } catch (error) {
    fs.rmSync(temp, { force: true });
    return {
      ok: false,
      problems: [{ path: '', message: `cannot write the site file ${file}: ${(error as Error).message}` }],
    };
  }
  return { ok: true, site: checked.site, backup, warnings: checked.warnings };
}

/** The file's own indentation, so that saving does not reformat every line. */
function indentOf(text: string): string {
  return /^\{\r?\n([ \t]+)"/.exec(text)?.[1] ?? '  ';
}
