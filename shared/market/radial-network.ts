// The site's radial network as the market sees it: buses indexed from the root, each bus's parent
// branch and that branch's limit on the interval's energy. Children are ordered by bus id so that
// every walk over the tree, and so every result, is independent of the order of the input.
import type { NetworkInput } from './clear-input.ts';

export interface RadialNetwork {
  /** Bus ids; index 0 is the root, and every parent comes before its children. */
  buses: string[];
  busIndex: ReadonlyMap<string, number>;
  /** Parent bus index; -1 for the root. */
  parent: Int32Array;
  depth: Int32Array;
  children: number[][];
  /** Id of the branch from the parent to each bus; empty for the root. */
  branchId: string[];
  /** Most energy the branch into each bus carries in the interval, either way (kWh). */
  limitKWh: Float64Array;
  /** Length of the branch into each bus (km); 0 where unknown. */
  lengthKm: Float64Array;
}

/** The network of an order file, or a lone root when the file has none. */
export function buildRadialNetwork(network: NetworkInput | undefined, minutes: number): RadialNetwork {
  const root = network?.root ?? 'root';
  const branches = network?.branches ?? [];
  const childBranches = new Map<string, typeof branches>();
  for (const branch of branches) {
    const list = childBranches.get(branch.from) ?? [];
    list.push(branch);
    childBranches.set(branch.from, list);
  }
  const hours = minutes / 60;
  const buses: string[] = [root];
  const parents: number[] = [-1];
  const depths: number[] = [0];
  const branchIds: string[] = [''];
  const limits: number[] = [Infinity];
  const lengths: number[] = [0];
  const children: number[][] = [[]];
  for (let at = 0; at < buses.length; at++) {
    const below = (childBranches.get(buses[at]!) ?? []).slice().sort((a, b) => compareIds(a.to, b.to));
    for (const branch of below) {
      const index = buses.length;
      buses.push(branch.to);
      parents.push(at);
      depths.push(depths[at]! + 1);
      branchIds.push(branch.id);
      limits.push(branch.capacityKW === undefined ? Infinity : branch.capacityKW * hours);
      lengths.push(branch.lengthKm ?? 0);
      children.push([]);
      children[at]!.push(index);
    }
  }
  return {
    buses,
    busIndex: new Map(buses.map((bus, i) => [bus, i])),
    parent: Int32Array.from(parents),
    depth: Int32Array.from(depths),
    children,
    branchId: branchIds,
    limitKWh: Float64Array.from(limits),
    lengthKm: Float64Array.from(lengths),
  };
}

/** Code-unit order: stable across locales, unlike localeCompare. */
export function compareIds(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Length of the path between two buses along the branches (km). */
export function distanceKm(network: RadialNetwork, a: number, b: number): number {
  let km = 0;
  while (a !== b) {
    if (network.depth[a]! >= network.depth[b]!) {
      km += network.lengthKm[a]!;
      a = network.parent[a]!;
    } else {
      km += network.lengthKm[b]!;
      b = network.parent[b]!;
    }
  }
  return km;
}

/**
 * Net energy each branch carries towards the root (kWh): sold minus bought on the buses below it.
 * `netAtBus` is sold minus bought at each bus; the root's entry of the result is the whole balance.
 */
export function subtreeNet(network: RadialNetwork, netAtBus: Float64Array): Float64Array {
  const flow = Float64Array.from(netAtBus);
  for (let bus = network.buses.length - 1; bus > 0; bus--) flow[network.parent[bus]!] += flow[bus]!;
  return flow;
}
