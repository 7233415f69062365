// The controller's state machine as a diagram: every mode, the transitions between them, the
// current mode lit and the transition that led there drawn bright.
import type { ControlMode, ControlTransition } from '../../../../shared/api/control-api.ts';
import { modeLabel, modeTone } from './mode-names.ts';

const W = 150;
const H = 40;

const at: Record<ControlMode, [number, number]> = {
  'grid-connected': [20, 150],
  'planned-islanding': [220, 70],
  'unplanned-islanding': [220, 230],
  islanded: [420, 150],
  resynchronising: [620, 150],
  reconnecting: [620, 70],
  blackout: [420, 310],
  'black-start': [620, 310],
  'off-grid': [20, 310],
};

/** [from, to, bend]: bend lifts the curve so opposite transitions do not overlap. */
const edges: Array<[ControlMode, ControlMode, number]> = [
  ['grid-connected', 'planned-islanding', 0],
  ['planned-islanding', 'grid-connected', 14],
  ['planned-islanding', 'islanded', 0],
  ['grid-connected', 'unplanned-islanding', 0],
  ['unplanned-islanding', 'islanded', 0],
  ['unplanned-islanding', 'blackout', 0],
  ['islanded', 'resynchronising', 0],
  ['resynchronising', 'islanded', 14],
  ['resynchronising', 'reconnecting', 0],
  ['reconnecting', 'grid-connected', 120],
  ['islanded', 'blackout', 0],
  ['blackout', 'black-start', 0],
  ['black-start', 'islanded', 0],
  ['off-grid', 'blackout', 0],
  ['black-start', 'off-grid', 90],
];

function anchor(mode: ControlMode, toward: [number, number]): [number, number] {
  const [x, y] = at[mode];
  const cx = x + W / 2;
  const cy = y + H / 2;
  const dx = toward[0] - cx;
  const dy = toward[1] - cy;
  // Leave the box where the line to the other box's centre crosses its border.
  const scale = Math.min(Math.abs(W / 2 / (dx || 1e-9)), Math.abs(H / 2 / (dy || 1e-9)));
  return [cx + dx * scale, cy + dy * scale];
}

function centre(mode: ControlMode): [number, number] {
  const [x, y] = at[mode];
  return [x + W / 2, y + H / 2];
}

export function StateMachine({
  mode,
  transitions,
  siteKind,
}: {
  mode: ControlMode;
  transitions: ControlTransition[];
  siteKind: 'connected' | 'off-grid';
}) {
  const last = transitions[transitions.length - 1];
  const offGridModes: ControlMode[] = ['off-grid', 'blackout', 'black-start'];
  const relevant = (m: ControlMode) =>
    siteKind === 'off-grid' ? offGridModes.includes(m) : m !== 'off-grid';
  return (
    <svg
      className="state-machine"
      viewBox="0 0 790 370"
      role="img"
      aria-label={`controller mode: ${modeLabel(mode)}`}
    >
      <defs>
        <marker
          id="arrow"
          viewBox="0 0 10 10"
          refX="9"
          refY="5"
          markerWidth="7"
          markerHeight="7"
          orient="auto-start-reverse"
        >
          <path d="M0,0 L10,5 L0,10 z" fill="#56657a" />
        </marker>
        <marker
          id="arrow-hot"
          viewBox="0 0 10 10"
          refX="9"
          refY="5"
          markerWidth="7"
          markerHeight="7"
          orient="auto-start-reverse"
        >
          <path d="M0,0 L10,5 L0,10 z" fill="#f0a020" />
        </marker>
      </defs>
      {edges.map(([from, to, bend]) => {
        const a = anchor(from, centre(to));
        const b = anchor(to, centre(from));
        const mx = (a[0] + b[0]) / 2;
        const my = (a[1] + b[1]) / 2;
        const len = Math.hypot(b[0] - a[0], b[1] - a[1]) || 1;
        const cx = mx + (-(b[1] - a[1]) / len) * bend;
        const cy = my + ((b[0] - a[0]) / len) * bend;
        const hot = last !== undefined && last.from === from && last.to === to;
        const dim = !relevant(from) || !relevant(to);
        return (
          <path
            key={`${from}-${to}`}
            d={`M${a[0]},${a[1]} Q${cx},${cy} ${b[0]},${b[1]}`}
            className={`edge${hot ? ' hot' : ''}${dim ? ' dim' : ''}`}
            markerEnd={hot ? 'url(#arrow-hot)' : 'url(#arrow)'}
          />
        );
      })}
      {(Object.keys(at) as ControlMode[]).map((m) => {
        const [x, y] = at[m];
        const current = m === mode;
        return (
          <g
            key={m}
            className={`node tone-${modeTone(m)}${current ? ' current' : ''}${relevant(m) ? '' : ' dim'}`}
            data-testid={current ? 'current-mode-node' : undefined}
            data-mode={m}
          >
            <rect x={x} y={y} width={W} height={H} rx={8} />
            <text x={x + W / 2} y={y + H / 2 + 5} textAnchor="middle">
              {modeLabel(m)}
            </text>
          </g>
        );
      })}
    </svg>
  );
}
