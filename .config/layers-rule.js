// The layer rule, `layers/imports`, generated from the one layer table (.config/layers.json): an
// import from a folder into one its layer may not import, or of a package its layer may not use,
// is an error that names both folders and what the layer may import. Relative imports are resolved
// against the importing file, so `../market/ledger.ts` under electron/field/ and
// `../../shared/market/…` are told apart (a pattern on the import text could not).
import fs from 'node:fs';
import { builtinModules } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
export const repositoryRoot = path.resolve(here, '..');
export const layerTable = JSON.parse(fs.readFileSync(path.join(here, 'layers.json'), 'utf8'));

// Longest folder first, so electron/field/sunspec/x.ts belongs to electron/field, not electron.
const byFolder = [...layerTable.layers].sort((a, b) => b.folder.length - a.folder.length);
const builtins = new Set(builtinModules.flatMap((name) => [name, `node:${name}`]));

/** The layer a repository path (relative, with forward slashes) belongs to, or null. */
export function layerOfPath(relativePath) {
  return byFolder.find((l) => relativePath === l.folder || relativePath.startsWith(`${l.folder}/`)) ?? null;
}

function layerOfFile(absoluteFile) {
  const relative = path.relative(repositoryRoot, absoluteFile).split(path.sep).join('/');
  return relative.startsWith('..') ? null : layerOfPath(relative);
}

function packageMatches(pattern, source) {
  if (pattern === 'node-builtins') return builtins.has(source) || builtins.has(source.split('/')[0]);
  if (pattern.endsWith('*')) return source.startsWith(pattern.slice(0, -1));
  return source === pattern;
}

function mayImportText(layer) {
  return layer.mayImport.length > 0 ? `only ${layer.mayImport.join(', ')}` : 'nothing of ours';
}

const importsRule = {
  meta: {
    type: 'problem',
    docs: { description: 'Imports follow the layer table in .config/layers.json.' },
    schema: [],
    messages: {
      upward:
        "layer rule: {{from}} may not import {{to}} ('{{source}}'): {{fromName}} imports {{allowed}} (.config/layers.json).",
      package: "layer rule: {{from}} may not import '{{source}}': {{why}} (.config/layers.json).",
    },
  },
  create(context) {
    const file = context.filename;
    const from = layerOfFile(file);
    if (!from) return {};
    const allowed = new Set([from.name, ...from.mayImport]);
    const forbidden = layerTable.packages[from.packages]?.forbid ?? [];
    const check = (node) => {
      if (!node || node.type !== 'Literal' || typeof node.value !== 'string') return;
      // A query (`?modulePath`) names a build variant of the same module.
      const source = node.value.split('?')[0];
      if (source.startsWith('.')) {
        const to = layerOfFile(path.resolve(path.dirname(file), source));
        if (to && !allowed.has(to.name))
          context.report({
            node,
            messageId: 'upward',
            data: {
              from: `${from.folder}/`,
              to: `${to.folder}/`,
              source: node.value,
              fromName: from.name,
              allowed: mayImportText(from),
            },
          });
      } else if (forbidden.some((pattern) => packageMatches(pattern, source)))
        context.report({
          node,
          messageId: 'package',
          data: { from: `${from.folder}/`, source: node.value, why: layerTable.packages[from.packages].why },
        });
    };
    return {
      ImportDeclaration: (node) => check(node.source),
      ExportNamedDeclaration: (node) => check(node.source),
      ExportAllDeclaration: (node) => check(node.source),
      ImportExpression: (node) => check(node.source),
      TSImportType: (node) => check(node.argument?.literal ?? node.argument),
    };
  },
};

/** The eslint plugin holding the rule; the config turns it on for every layered folder. */
export const layersPlugin = { meta: { name: 'commonwatt-layers' }, rules: { imports: importsRule } };

/** Checks the table itself: known names, and each layer importing only layers listed before it. */
export function tableProblems(table = layerTable) {
  const problems = [];
  const names = new Set(table.layers.map((layer) => layer.name));
  const seen = new Set();
  for (const layer of table.layers) {
    if (!table.packages[layer.packages])
      problems.push(`${layer.name}: unknown package set '${layer.packages}'`);
    for (const name of layer.mayImport) {
      if (!names.has(name)) problems.push(`${layer.name}: unknown layer '${name}'`);
      else if (!seen.has(name)) problems.push(`${layer.name} imports ${name}, which is not listed below it`);
    }
    seen.add(layer.name);
  }
  return problems;
}
