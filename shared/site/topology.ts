// A radial network as a tree rooted at the PCC (or the off-grid site's main bus): parents,
// children and a leaves-first order, so flows and limits can be summed up the tree in one pass.
import type { Branch, Topology } from './schema.ts';

export interface RadialTree {
  root: string;
  /** Every bus id, root first, each parent before its children. */
  order: string[];
  parentBranch: Map<string, Branch>;
  children: Map<string, string[]>;
}

export type TreeProblem =
  | { kind: 'unknown-bus'; branchIndex: number; end: 'from' | 'to'; bus: string }
  | { kind: 'second-parent'; branchIndex: number; bus: string }
  | { kind: 'unreachable'; bus: string }
  | { kind: 'loop'; branchIndex: number; bus: string };

/** Builds the tree, or lists why the topology is not one radial network. */
export function buildRadialTree(topology: Topology): { tree: RadialTree; problems: TreeProblem[] } {
  const problems: TreeProblem[] = [];
  const buses = new Set(topology.buses.map((b) => b.id));
  const parentBranch = new Map<string, Branch>();
  const children = new Map<string, string[]>();
  for (const bus of buses) children.set(bus, []);

  topology.branches.forEach((branch, branchIndex) => {
    let ok = true;
    for (const end of ['from', 'to'] as const) {
      if (!buses.has(branch[end])) {
        problems.push({ kind: 'unknown-bus', branchIndex, end, bus: branch[end] });
        ok = false;
      }
    }
    if (!ok) return;
    if (branch.to === topology.root || parentBranch.has(branch.to)) {
      // A second way into a bus closes a loop: radial networks have one path to the root.
      problems.push({
        kind: branch.to === topology.root ? 'loop' : 'second-parent',
        branchIndex,
        bus: branch.to,
      });
      return;
    }
    parentBranch.set(branch.to, branch);
    children.get(branch.from)?.push(branch.to);
  });

  const order: string[] = [];
  if (buses.has(topology.root)) {
    const queue = [topology.root];
    const seen = new Set(queue);
    while (queue.length > 0) {
      const bus = queue.shift() as string;
      order.push(bus);
      for (const child of children.get(bus) ?? []) {
        if (!seen.has(child)) {
          seen.add(child);
          queue.push(child);
        }
      }
    }
  }
  const reached = new Set(order);
  for (const bus of buses) {
    if (!reached.has(bus)) {
      // Either an island or part of a loop that never touches the root.
      const branchIndex = topology.branches.findIndex((b) => b.to === bus);
      const inLoop = branchIndex >= 0 && isOnCycle(bus, parentBranch);
      problems.push(inLoop ? { kind: 'loop', branchIndex, bus } : { kind: 'unreachable', bus });
    }
  }
  return { tree: { root: topology.root, order, parentBranch, children }, problems };
}

function isOnCycle(start: string, parentBranch: Map<string, Branch>): boolean {
  const seen = new Set<string>();
  let bus: string | undefined = start;
  while (bus !== undefined) {
    if (seen.has(bus)) return true;
    seen.add(bus);
    bus = parentBranch.get(bus)?.from;
  }
  return false;
}

/**
 * Sums a per-bus injection up the tree: the result maps each branch id to the power it carries
 * from parent to child (positive downstream), i.e. minus the net injection of its subtree.
 */
export function branchFlows(
  tree: RadialTree,
  injectionByBus: ReadonlyMap<string, number>,
): Map<string, number> {
  const subtree = new Map<string, number>();
  const flows = new Map<string, number>();
  for (let i = tree.order.length - 1; i >= 0; i--) {
    const bus = tree.order[i] as string;
    let total = injectionByBus.get(bus) ?? 0;
    for (const child of tree.children.get(bus) ?? []) total += subtree.get(child) ?? 0;
    subtree.set(bus, total);
    const branch = tree.parentBranch.get(bus);
    if (branch) flows.set(branch.id, -total);
  }
  return flows;
}

/** The feeder (first branch below the root) a bus hangs from, or undefined for the root. */
export function feederOf(tree: RadialTree, bus: string): string | undefined {
  let current = bus;
  let feeder: string | undefined;
  for (;;) {
    const branch = tree.parentBranch.get(current);
    if (!branch) return feeder;
    feeder = branch.id;
    current = branch.from;
  }
}
