// The interval's trades on a plan of the radial network: branches (thicker and amber as the
// market's flow nears the branch's limit), members as sellers or buyers, and an arc from each
// seller to each buyer as wide as the energy traded. A 2D schematic: it reads at a glance and
// costs nothing when idle, unlike the 3D scene.
import { useMemo } from 'react';
import type { MarketPreview } from '../../../../shared/api/market-api.ts';
import type { SiteFile } from '../../../../shared/site/schema.ts';
import { layoutSite, type Vec2 } from '../../topology/layout.ts';

type Role = 'seller' | 'buyer' | 'idle' | 'unmetered';

export function TradeMap({
  site,
  preview,
  memberName,
}: {
  site: SiteFile;
  preview: MarketPreview;
  memberName: (id: string) => string;
}) {
  const layout = useMemo(() => layoutSite(site), [site]);
  const pad = 6;
  const r = layout.radius + pad;

  const roles = new Map<string, Role>();
  for (const id of preview.unmetered) roles.set(id, 'unmetered');
  for (const s of preview.supply) roles.set(s.member, 'seller');
  for (const s of preview.demand) roles.set(s.member, 'buyer');
  const energyOf = new Map<string, number>();
  for (const s of [...preview.supply, ...preview.demand]) energyOf.set(s.member, s.energyKWh);

  const maxTrade = Math.max(1e-9, ...preview.trades.map((t) => t.energyKWh));
  const flows = new Map(preview.branches.map((b) => [b.branch, b]));
  const unit = `${preview.currency}/kWh`;

  return (
    <svg
      className="trade-map"
      viewBox={`${-r} ${-r} ${2 * r} ${2 * r}`}
      role="img"
      aria-label="Trades drawn on the network, from seller to buyer"
      data-testid="trade-map"
    >
      <defs>
        <marker
          id="trade-arrow"
          viewBox="0 0 10 10"
          refX="9"
          refY="5"
          markerWidth="4"
          markerHeight="4"
          orient="auto"
        >
          <path d="M0,0 L10,5 L0,10 z" className="trade-arrow" />
        </marker>
      </defs>
      {layout.branches.map((b) => {
        const flow = flows.get(b.id);
        const loading =
          flow && flow.limitKWh !== null && flow.limitKWh > 0 ? Math.abs(flow.energyKWh) / flow.limitKWh : 0;
        return (
          <line
            key={b.id}
            className={`branch ${loading >= 0.999 ? 'full' : loading > 0.8 ? 'high' : ''}`}
            x1={b.from[0]}
            y1={b.from[1]}
            x2={b.to[0]}
            y2={b.to[1]}
            strokeWidth={0.35 + loading * 0.9}
          >
            <title>
              {b.id}
              {flow
                ? `: ${Math.abs(flow.energyKWh).toFixed(2)} kWh of local trade ${flow.energyKWh >= 0 ? 'towards' : 'away from'} the PCC` +
                  (flow.limitKWh !== null ? ` (limit ${flow.limitKWh.toFixed(1)} kWh)` : '')
                : ''}
            </title>
          </line>
        );
      })}
      {[...layout.buses].map(([id, [x, y]]) => (
        <circle
          key={id}
          className={id === site.topology.root ? 'bus root' : 'bus'}
          cx={x}
          cy={y}
          r={id === site.topology.root ? 1.4 : 0.7}
        >
          <title>{site.topology.buses.find((b) => b.id === id)?.name ?? id}</title>
        </circle>
      ))}
      {layout.buses.has(site.topology.root) && (
        <text
          className="root-label"
          x={layout.buses.get(site.topology.root)![0]}
          y={layout.buses.get(site.topology.root)![1] + 4.2}
          textAnchor="middle"
        >
          PCC
        </text>
      )}
      {[...layout.members].map(([id, [x, y]]) => {
        const role = roles.get(id) ?? 'idle';
        const kwh = energyOf.get(id);
        return (
          <rect
            key={id}
            className={`member ${role}`}
            x={x - 1.2}
            y={y - 1.2}
            width={2.4}
            height={2.4}
            rx={0.4}
          >
            <title>
              {memberName(id)}
              {role === 'seller' && kwh !== undefined ? `: sells up to ${kwh.toFixed(2)} kWh` : ''}
              {role === 'buyer' && kwh !== undefined ? `: buys up to ${kwh.toFixed(2)} kWh` : ''}
              {role === 'unmetered' ? ': no reading yet' : ''}
            </title>
          </rect>
        );
      })}
      {preview.trades.map((t, i) => {
        const from = layout.members.get(t.seller);
        const to = layout.members.get(t.buyer);
        if (!from || !to) return null;
        return (
          <path
            key={`${t.seller}>${t.buyer}#${i}`}
            className="trade"
            d={arc(from, to)}
            strokeWidth={0.15 + 1.1 * Math.sqrt(t.energyKWh / maxTrade)}
            markerEnd="url(#trade-arrow)"
          >
            <title>
              {memberName(t.seller)} → {memberName(t.buyer)}: {t.energyKWh.toFixed(3)} kWh at{' '}
              {t.price.toFixed(4)} {unit}
            </title>
          </path>
        );
      })}
    </svg>
  );
}

/** A quadratic arc bowed to the left of the line from `a` to `b`, so opposite trades do not overlap. */
function arc(a: Vec2, b: Vec2): string {
  const [ax, ay] = a;
  const [bx, by] = b;
  const dx = bx - ax;
  const dy = by - ay;
  const bow = 0.2;
  const cx = (ax + bx) / 2 - dy * bow;
  const cy = (ay + by) / 2 + dx * bow;
  return `M${ax.toFixed(2)},${ay.toFixed(2)} Q${cx.toFixed(2)},${cy.toFixed(2)} ${bx.toFixed(2)},${by.toFixed(2)}`;
}
