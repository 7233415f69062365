// The one layer table (.config/layers.json) against itself, the README and the real imports: the
// table has no circle, the README's Architecture table is the one rendered from it, and the
// folders import one another without circles (see import-graph.ts for the report).
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { circlesOf, graphReport, importGraph } from './import-graph.ts';
import { readLayerTable, readmeBlockIn, readmeLayerBlock, repositoryRoot } from './layer-table.ts';

describe('the layer table', () => {
  it('lists each layer above everything it may import, so the picture has no circle', async () => {
    const rule = (await import(pathToFileURL(path.join(repositoryRoot, '.config/layers-rule.js')).href)) as {
      tableProblems: (table?: unknown) => string[];
    };
    expect(rule.tableProblems()).toEqual([]);
    // The check itself catches a table that turns back on itself.
    const table = readLayerTable();
    const circular = structuredClone(table);
    circular.layers.find((l) => l.name === 'field')!.mayImport.push('historian');
    expect(rule.tableProblems(circular)).toEqual(['field imports historian, which is not listed below it']);
  });

  it("is what the README's Architecture section shows", () => {
    const readme = fs.readFileSync(path.join(repositoryRoot, 'README.md'), 'utf8');
    expect(readmeBlockIn(readme), 'README.md: the layer table between <!-- layers:begin/end -->').toBe(
      readmeLayerBlock(readLayerTable()),
    );
  });
});

describe('the import graph between folders', () => {
  // Reading every source file takes a few seconds on a busy machine.
  it('has no circles', { timeout: 30_000 }, () => {
    const graph = importGraph();
    expect(graph.circles, graphReport(graph)).toEqual([]);
  });

  it('finds the circles of a graph made by hand', () => {
    const edges = (pairs: string) => pairs.split(' ').map((p) => ({ from: p[0]!, to: p[1]! }));
    // a→b→c→a is one circle; d hangs off it; e⇄f is a second.
    expect(circlesOf(edges('ab bc ca cd ef fe'))).toEqual([
      ['a', 'b', 'c'],
      ['e', 'f'],
    ]);
    expect(circlesOf(edges('ab bc ac cd'))).toEqual([]);
  });

  it('finds an upward import when the table forbids one the tree has', { timeout: 30_000 }, () => {
    // The same graph code on a table that forbids what the tree does today: control → field.
    const table = readLayerTable();
    table.layers.find((l) => l.name === 'control')!.mayImport = ['shared', 'platform'];
    const graph = importGraph(table);
    expect(graph.upward.map((e) => `${e.from}→${e.to}`)).toContain('control→field');
  });
});
