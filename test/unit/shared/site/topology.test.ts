import { describe, expect, it } from 'vitest';
import { branchFlows, buildRadialTree, feederOf } from '../../../../shared/site/topology.ts';
import type { Topology } from '../../../../shared/site/schema.ts';

const line = (id: string, from: string, to: string) => ({ id, from, to, ratingKVA: 50, ratingA: 70 });
const topology: Topology = {
  root: 'pcc',
  buses: ['pcc', 'a', 'b', 'c', 'd'].map((id) => ({ id, kind: 'node' as const })),
  branches: [line('pa', 'pcc', 'a'), line('ab', 'a', 'b'), line('ac', 'a', 'c'), line('pd', 'pcc', 'd')],
};

describe('radial tree', () => {
  it('orders parents before children', () => {
    const { tree, problems } = buildRadialTree(topology);
    expect(problems).toEqual([]);
    expect(tree.order[0]).toBe('pcc');
    expect(tree.order.indexOf('a')).toBeLessThan(tree.order.indexOf('b'));
    expect(feederOf(tree, 'c')).toBe('pa');
    expect(feederOf(tree, 'd')).toBe('pd');
  });

  it('sums subtree injections into branch flows (positive downstream)', () => {
    const { tree } = buildRadialTree(topology);
    // b consumes 3 kW, c produces 1 kW, d consumes 2 kW.
    const flows = branchFlows(
      tree,
      new Map([
        ['b', -3],
        ['c', 1],
        ['d', -2],
      ]),
    );
    expect(flows.get('ab')).toBeCloseTo(3);
    expect(flows.get('ac')).toBeCloseTo(-1);
    expect(flows.get('pa')).toBeCloseTo(2);
    expect(flows.get('pd')).toBeCloseTo(2);
  });
});
