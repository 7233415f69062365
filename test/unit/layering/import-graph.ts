// The import graph between the layered folders, read with the TypeScript compiler's own import
// scanner (static, type-only and dynamic imports, re-exports): which folder imports which, the
// imports the layer table does not allow, and the circles between folders. Run it to see the graph:
//   node electron/cli/run-ts.mjs test/unit/layering/import-graph.ts            (the report)
//   node electron/cli/run-ts.mjs test/unit/layering/import-graph.ts --readme   (the README block)
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { layerOf, readLayerTable, readmeLayerBlock, repositoryRoot, type LayerTable } from './layer-table.ts';

export interface FolderEdge {
  from: string;
  to: string;
  /** One importing file and what it imports, as an example to look at. */
  example: string;
  count: number;
}

export interface ImportGraph {
  edges: FolderEdge[];
  /** Edges the layer table does not allow. */
  upward: FolderEdge[];
  /** Sets of folders that import one another round a circle, each sorted. */
  circles: string[][];
}

const SOURCE_ROOTS = ['shared', 'renderer', 'electron'];

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === 'node_modules' || entry.name.startsWith('.')) continue;
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...sourceFiles(full));
    else if (/\.tsx?$/.test(entry.name) && !entry.name.endsWith('.d.ts')) out.push(full);
  }
  return out;
}

const relative = (file: string) => path.relative(repositoryRoot, file).split(path.sep).join('/');

export function importGraph(table: LayerTable = readLayerTable()): ImportGraph {
  const edges = new Map<string, FolderEdge>();
  for (const root of SOURCE_ROOTS) {
    const dir = path.join(repositoryRoot, root);
    if (!fs.existsSync(dir)) continue;
    for (const file of sourceFiles(dir)) {
      const from = layerOf(table, relative(file));
      if (!from) continue;
      const { importedFiles } = ts.preProcessFile(fs.readFileSync(file, 'utf8'), true, true);
      for (const { fileName } of importedFiles) {
        if (!fileName.startsWith('.')) continue;
        const to = layerOf(table, relative(path.resolve(path.dirname(file), fileName.split('?')[0]!)));
        if (!to || to === from) continue;
        const key = `${from.name} ${to.name}`;
        const edge = edges.get(key);
        if (edge) edge.count++;
        else
          edges.set(key, {
            from: from.name,
            to: to.name,
            example: `${relative(file)} → ${fileName}`,
            count: 1,
          });
      }
    }
  }
  const all = [...edges.values()].sort((a, b) => (a.from + a.to).localeCompare(b.from + b.to));
  const allowed = new Map(table.layers.map((l) => [l.name, new Set(l.mayImport)]));
  return {
    edges: all,
    upward: all.filter((e) => !allowed.get(e.from)?.has(e.to)),
    circles: circlesOf(all),
  };
}

/** Strongly connected components of more than one folder (Tarjan's algorithm). */
export function circlesOf(edges: Array<Pick<FolderEdge, 'from' | 'to'>>): string[][] {
  const next = new Map<string, string[]>();
  for (const e of edges) next.set(e.from, [...(next.get(e.from) ?? []), e.to]);
  const nodes = [...new Set(edges.flatMap((e) => [e.from, e.to]))].sort();
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const circles: string[][] = [];
  let counter = 0;
  const visit = (node: string): void => {
    index.set(node, counter);
    low.set(node, counter++);
    stack.push(node);
    onStack.add(node);
    for (const to of next.get(node) ?? []) {
      if (!index.has(to)) {
        visit(to);
        low.set(node, Math.min(low.get(node)!, low.get(to)!));
      } else if (onStack.has(to)) low.set(node, Math.min(low.get(node)!, index.get(to)!));
    }
    if (low.get(node) === index.get(node)) {
      const component: string[] = [];
      let member: string;
      do {
        member = stack.pop()!;
        onStack.delete(member);
        component.push(member);
      } while (member !== node);
      if (component.length > 1) circles.push(component.sort());
    }
  };
  for (const node of nodes) if (!index.has(node)) visit(node);
  return circles;
}

export function graphReport(graph: ImportGraph): string {
  const line = (e: FolderEdge) => `  ${e.from} → ${e.to} (${e.count}; e.g. ${e.example})`;
  return [
    `folder imports (${graph.edges.length}):`,
    ...graph.edges.map(line),
    `imports the layer table does not allow (${graph.upward.length}):`,
    ...graph.upward.map(line),
    `circles between folders (${graph.circles.length}):`,
    ...graph.circles.map((c) => `  ${c.join(' ⇄ ')}`),
  ].join('\n');
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  if (process.argv.includes('--readme')) console.log(readmeLayerBlock(readLayerTable()));
  else console.log(graphReport(importGraph()));
}
