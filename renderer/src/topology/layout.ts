// Places a radial network on the ground plane: the PCC at the centre, feeders radiating out,
// each bus one segment further from its parent, members grouped around their bus.
import type { SiteFile } from '../../../shared/site/schema.ts';
import { buildRadialTree } from '../../../shared/site/topology.ts';

export type Vec2 = [number, number];

export interface TopologyLayout {
  buses: Map<string, Vec2>;
  branches: Array<{ id: string; from: Vec2; to: Vec2 }>;
  members: Map<string, Vec2>;
  batteries: Map<string, Vec2>;
  radius: number;
}

const SEGMENT = 14;
const SPREAD = 0.5;

export function layoutSite(site: SiteFile): TopologyLayout {
  const { tree } = buildRadialTree(site.topology);
  const buses = new Map<string, Vec2>([[tree.root, [0, 0]]]);
  const heading = new Map<string, number>();
  const feeders = tree.children.get(tree.root) ?? [];
  feeders.forEach((bus, i) =>
    heading.set(bus, -Math.PI / 2 + (2 * Math.PI * i) / Math.max(1, feeders.length)),
  );
  for (const bus of tree.order) {
    const branch = tree.parentBranch.get(bus);
    if (!branch) continue;
    const parent = buses.get(branch.from) ?? [0, 0];
    const angle = heading.get(bus) ?? 0;
    const length = branch.from === tree.root ? SEGMENT * 0.8 : SEGMENT;
    buses.set(bus, [parent[0] + Math.cos(angle) * length, parent[1] + Math.sin(angle) * length]);
    const kids = tree.children.get(bus) ?? [];
    kids.forEach((child, i) =>
      heading.set(child, angle + (kids.length > 1 ? (i - (kids.length - 1) / 2) * SPREAD * 2 : 0)),
    );
  }

  const members = new Map<string, Vec2>();
  const byBus = new Map<string, string[]>();
  for (const m of site.members) byBus.set(m.bus, [...(byBus.get(m.bus) ?? []), m.id]);
  for (const [bus, ids] of byBus) {
    const [bx, bz] = buses.get(bus) ?? [0, 0];
    const out = Math.atan2(bz, bx);
    // Houses in a double row along both sides of the line, like a village street.
    ids.forEach((id, i) => {
      const side = i % 2 === 0 ? 1 : -1;
      const along = Math.floor(i / 2) - (Math.ceil(ids.length / 2) - 1) / 2;
      const nx = -Math.sin(out);
      const nz = Math.cos(out);
      members.set(id, [
        bx + nx * side * 3.2 + Math.cos(out) * along * 2.6,
        bz + nz * side * 3.2 + Math.sin(out) * along * 2.6,
      ]);
    });
  }

  const batteries = new Map<string, Vec2>();
  (site.batteryPool?.inverters ?? []).forEach((id, i) => {
    const device = site.devices.find((d) => d.id === id);
    const [bx, bz] = buses.get(device?.bus ?? tree.root) ?? [0, 0];
    batteries.set(id, [bx - 3 + i * 2.4, bz - 4.5]);
  });

  const branches = site.topology.branches.map((b) => ({
    id: b.id,
    from: buses.get(b.from) ?? ([0, 0] as Vec2),
    to: buses.get(b.to) ?? ([0, 0] as Vec2),
  }));
  let radius = 10;
  for (const p of [...buses.values(), ...members.values()]) radius = Math.max(radius, Math.hypot(p[0], p[1]));
  return { buses, branches, members, batteries, radius };
}
