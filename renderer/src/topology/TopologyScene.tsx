// The live 3D topology: PCC, feeders, buses, members, PV and the battery pool, with flows drawn
// as particles running along each line (direction by sign, speed and density by magnitude), and
// the controller's picture: the grid feed and the PCC breaker, the island's boundary while the
// site runs on its battery pool, shed members dimmed, everything dark in a blackout.
// Instanced meshes and an on-demand frame loop: the scene costs nothing while nothing changes.
import { Canvas, useFrame, useThree } from '@react-three/fiber';
import { reaction } from 'mobx';
import { observer } from 'mobx-react-lite';
import { useEffect, useMemo, useRef, useState } from 'react';
import { Color, InstancedMesh, Object3D, Vector3, type Mesh } from 'three';
import { OrbitControls } from 'three/examples/jsm/controls/OrbitControls.js';
import type { SiteFile } from '../../../shared/site/schema.ts';
import { useStores } from '../stores/context.tsx';
import { memberColor, palette } from './colors.ts';
import { layoutSite, type TopologyLayout } from './layout.ts';
import './topology.css';

const PARTICLES_PER_BRANCH = 6;
const scratch = new Object3D();
const color = new Color();

function Controls({ radius }: { radius: number }) {
  const { camera, gl, invalidate } = useThree();
  useEffect(() => {
    const controls = new OrbitControls(camera, gl.domElement);
    controls.enableDamping = false;
    controls.maxPolarAngle = Math.PI / 2.1;
    controls.minDistance = 10;
    controls.maxDistance = radius * 4;
    controls.addEventListener('change', () => invalidate());
    return () => controls.dispose();
  }, [camera, gl, invalidate, radius]);
  return null;
}

/** Redraws when a snapshot arrives, and at 20 Hz while flows are animated and the page is visible. */
function Invalidator() {
  const { live, ui, control } = useStores();
  const { invalidate } = useThree();
  useEffect(
    () =>
      reaction(
        () => [live.snapshot, control.state],
        () => invalidate(),
      ),
    [live, control, invalidate],
  );
  useEffect(() => {
    if (!ui.animateFlows) return;
    const timer = setInterval(() => {
      if (document.visibilityState === 'visible') invalidate();
    }, 50);
    return () => clearInterval(timer);
  }, [ui.animateFlows, invalidate]);
  return null;
}

function Lines({ layout, site }: { layout: TopologyLayout; site: SiteFile }) {
  const { live, control } = useStores();
  const lineRef = useRef<InstancedMesh>(null);
  const particleRef = useRef<InstancedMesh>(null);
  const phase = useRef(new Float32Array(layout.branches.length));
  const last = useRef(0);
  const ratings = useMemo(() => new Map(site.topology.branches.map((b) => [b.id, b.ratingKVA])), [site]);

  useFrame(() => {
    const lines = lineRef.current;
    const particles = particleRef.current;
    if (!lines || !particles) return;
    const now = performance.now();
    const dt = last.current === 0 ? 0 : Math.min(0.2, (now - last.current) / 1000);
    last.current = now;
    const snapshot = live.snapshot;
    const picture = control.snapshot;
    layout.branches.forEach((b, i) => {
      const from = new Vector3(b.from[0], 0.15, b.from[1]);
      const to = new Vector3(b.to[0], 0.15, b.to[1]);
      const length = from.distanceTo(to);
      const flow = snapshot?.branches[b.id];
      const kw = flow?.value ?? 0;
      const loading = Math.min(1.2, Math.abs(kw) / (ratings.get(b.id) ?? 100));
      scratch.position.copy(from).lerp(to, 0.5);
      scratch.quaternion.setFromUnitVectors(new Vector3(0, 1, 0), to.clone().sub(from).normalize());
      scratch.scale.set(1 + loading * 2.5, length, 1 + loading * 2.5);
      scratch.updateMatrix();
      lines.setMatrixAt(i, scratch.matrix);
      // Islanded, the lines are fed by the battery pool (blue); dark ones carry nothing.
      lines.setColorAt(
        i,
        picture && !picture.energised
          ? color.copy(palette.dark)
          : !flow || flow.quality === 'bad'
            ? color.copy(palette.unknown)
            : loading > 0.9
              ? color.set('#e5484d')
              : picture?.islanded
                ? color.copy(palette.islandLine)
                : color.set(flow.measured ? '#7d8da3' : '#566375'),
      );
      // Particles move downstream for positive flow (towards the members), upstream for negative.
      const speed = Math.sign(kw) * Math.min(6, 0.6 + Math.abs(kw) / 6);
      phase.current[i] = ((((phase.current[i] ?? 0) + (speed * dt) / Math.max(1, length)) % 1) + 1) % 1;
      for (let k = 0; k < PARTICLES_PER_BRANCH; k++) {
        const t = ((phase.current[i] ?? 0) + k / PARTICLES_PER_BRANCH) % 1;
        scratch.position.copy(from).lerp(to, t);
        scratch.position.y = 0.35;
        const size = Math.abs(kw) < 0.05 ? 0 : 0.18 + Math.min(0.4, Math.abs(kw) / 60);
        scratch.scale.setScalar(size);
        scratch.quaternion.identity();
        scratch.updateMatrix();
        particles.setMatrixAt(i * PARTICLES_PER_BRANCH + k, scratch.matrix);
        particles.setColorAt(i * PARTICLES_PER_BRANCH + k, kw >= 0 ? palette.importing : palette.exporting);
      }
    });
    lines.instanceMatrix.needsUpdate = true;
    particles.instanceMatrix.needsUpdate = true;
    if (lines.instanceColor) lines.instanceColor.needsUpdate = true;
    if (particles.instanceColor) particles.instanceColor.needsUpdate = true;
  });

  return (
    <>
      <instancedMesh ref={lineRef} args={[undefined, undefined, layout.branches.length]}>
        <cylinderGeometry args={[0.09, 0.09, 1, 6]} />
        <meshStandardMaterial />
      </instancedMesh>
      <instancedMesh
        ref={particleRef}
        args={[undefined, undefined, layout.branches.length * PARTICLES_PER_BRANCH]}
      >
        <sphereGeometry args={[1, 8, 6]} />
        <meshBasicMaterial toneMapped={false} />
      </instancedMesh>
    </>
  );
}

function Members({
  layout,
  site,
  onHover,
}: {
  layout: TopologyLayout;
  site: SiteFile;
  onHover: (id: string | null) => void;
}) {
  const { live, ui, control } = useStores();
  const houses = useRef<InstancedMesh>(null);
  const panels = useRef<InstancedMesh>(null);
  const members = site.members;
  const withPv = useMemo(() => members.filter((m) => m.pvKWp > 0), [members]);

  useEffect(() => {
    const mesh = houses.current;
    const pv = panels.current;
    if (!mesh || !pv) return;
    members.forEach((m, i) => {
      const [x, z] = layout.members.get(m.id) ?? [0, 0];
      const big = m.category !== 'household';
      const h = m.category === 'community' ? 0.3 : big ? 1.6 : 1;
      scratch.position.set(x, h / 2, z);
      scratch.quaternion.identity();
      scratch.scale.set(big ? 2 : 1.3, h, big ? 1.6 : 1.1);
      scratch.updateMatrix();
      mesh.setMatrixAt(i, scratch.matrix);
    });
    withPv.forEach((m, i) => {
      const [x, z] = layout.members.get(m.id) ?? [0, 0];
      const big = m.category === 'community';
      const h = big ? 0.35 : m.category !== 'household' ? 1.7 : 1.1;
      scratch.position.set(x, h, z);
      scratch.quaternion.setFromAxisAngle(new Vector3(1, 0, 0), -0.35);
      const area = Math.sqrt(m.pvKWp) * (big ? 0.7 : 0.55);
      scratch.scale.set(area, 0.06, area * 0.7);
      scratch.updateMatrix();
      pv.setMatrixAt(i, scratch.matrix);
      pv.setColorAt(i, palette.pv);
    });
    mesh.instanceMatrix.needsUpdate = true;
    pv.instanceMatrix.needsUpdate = true;
    if (pv.instanceColor) pv.instanceColor.needsUpdate = true;
  }, [layout, members, withPv]);

  useFrame(() => {
    const mesh = houses.current;
    if (!mesh) return;
    const snapshot = live.snapshot;
    const picture = control.snapshot;
    const shed = new Set(picture?.shedMembers ?? []);
    members.forEach((m, i) => {
      if (picture && !picture.energised) color.copy(palette.dark);
      else if (shed.has(m.id)) color.copy(palette.shed);
      else memberColor(snapshot?.members[m.id], color);
      if (ui.selectedMember === m.id) color.lerp(new Color('#ffffff'), 0.5);
      mesh.setColorAt(i, color);
    });
    if (mesh.instanceColor) mesh.instanceColor.needsUpdate = true;
  });

  return (
    <>
      <instancedMesh
        ref={houses}
        args={[undefined, undefined, members.length]}
        onPointerMove={(e) => {
          e.stopPropagation();
          onHover(e.instanceId === undefined ? null : (members[e.instanceId]?.id ?? null));
        }}
        onPointerOut={() => onHover(null)}
        onClick={(e) => ui.select(e.instanceId === undefined ? null : (members[e.instanceId]?.id ?? null))}
      >
        <boxGeometry />
        <meshStandardMaterial />
      </instancedMesh>
      <instancedMesh ref={panels} args={[undefined, undefined, Math.max(1, withPv.length)]}>
        <boxGeometry />
        <meshStandardMaterial metalness={0.3} roughness={0.4} />
      </instancedMesh>
    </>
  );
}

function Buses({ layout }: { layout: TopologyLayout }) {
  const ref = useRef<InstancedMesh>(null);
  const buses = useMemo(() => [...layout.buses.values()], [layout]);
  useEffect(() => {
    const mesh = ref.current;
    if (!mesh) return;
    buses.forEach(([x, z], i) => {
      scratch.position.set(x, 0.6, z);
      scratch.quaternion.identity();
      scratch.scale.set(0.25, 1.2, 0.25);
      scratch.updateMatrix();
      mesh.setMatrixAt(i, scratch.matrix);
    });
    mesh.instanceMatrix.needsUpdate = true;
  }, [buses]);
  return (
    <instancedMesh ref={ref} args={[undefined, undefined, buses.length]}>
      <cylinderGeometry args={[1, 1, 1, 8]} />
      <meshStandardMaterial color="#8796ab" />
    </instancedMesh>
  );
}

/** The PCC with its breaker, and the feed from the utility coming in from beyond the village. */
function Pcc({ radius }: { radius: number }) {
  const { live, control } = useStores();
  const breaker = useRef<Mesh>(null);
  const blade = useRef<Mesh>(null);
  const feed = useRef<Mesh>(null);
  const feedLength = radius * 0.75;
  useFrame(() => {
    const closed = live.snapshot?.pcc?.breakerClosed;
    const known = closed && closed.value !== null && closed.quality !== 'bad';
    const isClosed = known ? closed.value !== 0 : null;
    const grid = control.state?.pcc?.gridStatus;
    const material = breaker.current?.material as { color?: Color } | undefined;
    material?.color?.copy(isClosed === null ? palette.unknown : isClosed ? palette.closed : palette.fault);
    // An open breaker lifts its blade, so the gap reads from across the room, not only by colour.
    if (blade.current) {
      blade.current.rotation.x = isClosed === false ? -0.9 : 0;
      blade.current.position.y = isClosed === false ? 3.9 : 3.55;
    }
    const feedMaterial = feed.current?.material as { color?: Color; opacity?: number } | undefined;
    if (feedMaterial) {
      feedMaterial.color?.copy(grid === 'lost' ? palette.fault : isClosed ? palette.importing : palette.idle);
      feedMaterial.opacity = grid === 'lost' ? 0.45 : isClosed ? 0.9 : 0.5;
    }
  });
  return (
    <group>
      <mesh position={[0, 1.4, 0]}>
        <boxGeometry args={[2.4, 2.8, 2.4]} />
        <meshStandardMaterial color="#2b3442" />
      </mesh>
      <mesh ref={breaker} position={[0, 3.1, 0]}>
        <boxGeometry args={[1.2, 0.6, 1.2]} />
        <meshStandardMaterial emissiveIntensity={0.4} />
      </mesh>
      <mesh ref={blade} position={[0, 3.55, 0]}>
        <boxGeometry args={[0.25, 0.12, 1.6]} />
        <meshStandardMaterial color="#c9d3df" />
      </mesh>
      {/* Towards the camera: the one side no feeder of a radial layout takes first. */}
      <mesh ref={feed} position={[0, 0.2, feedLength / 2 + 1.4]} rotation={[Math.PI / 2, 0, 0]}>
        <cylinderGeometry args={[0.35, 0.35, feedLength, 8]} />
        <meshBasicMaterial transparent toneMapped={false} />
      </mesh>
    </group>
  );
}

/** The island's boundary: a ring round the site and a tinted ground while it runs on its own sources. */
function IslandRing({ radius }: { radius: number }) {
  const { control } = useStores();
  const ring = useRef<Mesh>(null);
  const ground = useRef<Mesh>(null);
  useFrame(() => {
    const picture = control.snapshot;
    const mesh = ring.current;
    if (!mesh || !ground.current) return;
    const islanded = picture !== null && picture.islanded;
    mesh.visible = islanded;
    const material = mesh.material as { color?: Color };
    material.color?.copy(picture && !picture.energised ? palette.fault : palette.battery);
    (ground.current.material as { color?: Color }).color?.set(
      !islanded ? palette.groundDisc : picture.energised ? palette.islandGround : palette.darkGround,
    );
  });
  return (
    <>
      <mesh ref={ground} rotation={[-Math.PI / 2, 0, 0]} position={[0, 0, 0]}>
        <circleGeometry args={[radius * 1.3, 64]} />
        <meshStandardMaterial color={palette.groundDisc} />
      </mesh>
      <mesh ref={ring} rotation={[-Math.PI / 2, 0, 0]} position={[0, 0.05, 0]} visible={false}>
        <ringGeometry args={[radius * 1.0, radius * 1.025, 128]} />
        <meshBasicMaterial transparent opacity={0.75} toneMapped={false} />
      </mesh>
    </>
  );
}

/** The controller's mode over the scene, in words. */
const ModeBadge = observer(function ModeBadge() {
  const { control } = useStores();
  const picture = control.snapshot;
  if (!picture) return null;
  const text = !picture.energised
    ? 'Site dark'
    : picture.islanded
      ? 'Islanded: the battery pool forms the grid'
      : picture.mode === 'grid-connected'
        ? 'Grid-connected'
        : picture.mode;
  return (
    <div
      className={`topology-mode ${!picture.energised ? 'dark' : picture.islanded ? 'island' : 'grid'}`}
      data-testid="topology-mode"
      data-mode={picture.mode}
    >
      <strong>{text}</strong>
      <span>
        breaker {picture.breakerClosed === null ? 'unknown' : picture.breakerClosed ? 'closed' : 'open'}
        {picture.shedMembers.length > 0 ? ` · ${picture.shedMembers.length} members shed` : ''}
        {picture.activeAlarms > 0 ? ` · ${picture.activeAlarms} alarms` : ''}
      </span>
    </div>
  );
});

function Batteries({ layout }: { layout: TopologyLayout }) {
  const { live } = useStores();
  const ids = useMemo(() => [...layout.batteries.keys()], [layout]);
  const casing = useRef<InstancedMesh>(null);
  const fill = useRef<InstancedMesh>(null);
  useFrame(() => {
    if (!casing.current || !fill.current) return;
    ids.forEach((id, i) => {
      const [x, z] = layout.batteries.get(id) ?? [0, 0];
      scratch.quaternion.identity();
      scratch.position.set(x, 1.2, z);
      scratch.scale.set(1.6, 2.4, 1.2);
      scratch.updateMatrix();
      casing.current?.setMatrixAt(i, scratch.matrix);
      const soc = live.snapshot?.batteries[id]?.socFraction.value ?? 0;
      scratch.position.set(x, 0.05 + (2.3 * soc) / 2, z + 0.62);
      scratch.scale.set(1.3, Math.max(0.02, 2.3 * soc), 0.05);
      scratch.updateMatrix();
      fill.current?.setMatrixAt(i, scratch.matrix);
      fill.current?.setColorAt(i, soc < 0.2 ? palette.fault : palette.battery);
    });
    casing.current.instanceMatrix.needsUpdate = true;
    fill.current.instanceMatrix.needsUpdate = true;
    if (fill.current.instanceColor) fill.current.instanceColor.needsUpdate = true;
  });
  return (
    <>
      <instancedMesh ref={casing} args={[undefined, undefined, Math.max(1, ids.length)]}>
        <boxGeometry />
        <meshStandardMaterial color="#1c2633" transparent opacity={0.85} />
      </instancedMesh>
      <instancedMesh ref={fill} args={[undefined, undefined, Math.max(1, ids.length)]}>
        <boxGeometry />
        <meshBasicMaterial toneMapped={false} />
      </instancedMesh>
    </>
  );
}

export const TopologyScene = observer(function TopologyScene({ site }: { site: SiteFile }) {
  const layout = useMemo(() => layoutSite(site), [site]);
  const [hovered, setHovered] = useState<string | null>(null);
  const { live, control } = useStores();
  useEffect(() => control.open(), [control]);
  const r = layout.radius;
  const hoveredMember = hovered ? site.members.find((m) => m.id === hovered) : undefined;
  const reading = hovered ? live.snapshot?.members[hovered] : undefined;
  return (
    <div className="topology" data-testid="topology">
      <Canvas
        frameloop="demand"
        dpr={[1, 2]}
        camera={{ position: [0, r * 1.55, r * 1.05], fov: 42, near: 0.5, far: r * 10 }}
        gl={{ antialias: true, preserveDrawingBuffer: true }}
      >
        <color attach="background" args={[palette.ground]} />
        <ambientLight intensity={0.55} />
        <directionalLight position={[20, 40, 10]} intensity={1.6} />
        <gridHelper args={[r * 2.6, 26, '#1b2430', '#161e28']} position={[0, 0.01, 0]} />
        <Pcc radius={r} />
        <IslandRing radius={r} />
        <Buses layout={layout} />
        <Lines layout={layout} site={site} />
        <Members layout={layout} site={site} onHover={setHovered} />
        <Batteries layout={layout} />
        <Controls radius={r} />
        <Invalidator />
      </Canvas>
      <ModeBadge />
      {hoveredMember && (
        <div className="tooltip">
          <strong>{hoveredMember.name}</strong>
          <span>
            {reading?.value === null || reading === undefined
              ? 'no reading'
              : `${reading.value >= 0 ? 'importing' : 'exporting'} ${Math.abs(reading.value).toFixed(2)} kW`}
          </span>
          <span className="muted">
            {control.snapshot?.shedMembers.includes(hoveredMember.id) ? 'shed · ' : ''}
            {hoveredMember.category} · tier {hoveredMember.priorityTier}
            {hoveredMember.pvKWp > 0 ? ` · ${hoveredMember.pvKWp} kWp PV` : ''}
          </span>
        </div>
      )}
    </div>
  );
});
