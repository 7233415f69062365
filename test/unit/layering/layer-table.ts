// The layer table (.config/layers.json) as the tests and the import-graph report read it: its
// types, the layer a file belongs to, and the README block that is rendered from it.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const repositoryRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

export interface Layer {
  name: string;
  folder: string;
  packages: string;
  holds: string;
  mayImport: string[];
}

export interface LayerTable {
  packages: Record<string, { forbid: string[]; why: string }>;
  layers: Layer[];
}

export function readLayerTable(): LayerTable {
  return JSON.parse(fs.readFileSync(path.join(repositoryRoot, '.config/layers.json'), 'utf8')) as LayerTable;
}

/** The layer of a repository-relative path (forward slashes), the longest folder winning. */
export function layerOf(table: LayerTable, relativePath: string): Layer | null {
  let best: Layer | null = null;
  for (const layer of table.layers)
    if (relativePath === layer.folder || relativePath.startsWith(`${layer.folder}/`))
      if (!best || layer.folder.length > best.folder.length) best = layer;
  return best;
}

export const README_BEGIN = '<!-- layers:begin -->';
export const README_END = '<!-- layers:end -->';

/** The README's layer table, top layer first, rendered from the layer table. */
export function readmeLayerBlock(table: LayerTable): string {
  const rows = [...table.layers]
    .reverse()
    .map(
      (l) =>
        `| \`${l.folder}/\` | ${l.holds} | ${l.mayImport.length > 0 ? l.mayImport.join(', ') : 'nothing of ours'} |`,
    );
  return [
    README_BEGIN,
    '<!-- Generated from .config/layers.json; `node electron/cli/run-ts.mjs test/unit/layering/import-graph.ts --readme` prints it and a test compares it. -->',
    '',
    '| folder | holds | may import |',
    '| --- | --- | --- |',
    ...rows,
    '',
    README_END,
  ].join('\n');
}

/** The block between the markers in README.md, markers included, or null. */
export function readmeBlockIn(readme: string): string | null {
  const begin = readme.indexOf(README_BEGIN);
  const end = readme.indexOf(README_END);
  return begin < 0 || end < begin ? null : readme.slice(begin, end + README_END.length);
}
