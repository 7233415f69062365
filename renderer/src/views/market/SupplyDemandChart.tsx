// The interval's supply and demand as step curves (kWh across, price up), with the clearing price
// or the zones' prices, the energy traded locally and the grid's import and export prices. Drawn
// at the width it is given, so that its text stays at the console's size on any screen.
import { useEffect, useRef, useState } from 'react';
import type { MarketPreview } from '../../../../shared/api/market-api.ts';
import { chartScale, niceTicks, stepPath, tickDecimals, type ChartBox } from './curve-geometry.ts';

const HEIGHT = 320;
const MARGINS = { left: 58, right: 186, top: 22, bottom: 40 };

export function SupplyDemandChart({ preview }: { preview: MarketPreview }) {
  const frame = useRef<HTMLDivElement>(null);
  const [width, setWidth] = useState(720);
  useEffect(() => {
    const element = frame.current;
    if (!element) return;
    const observer = new ResizeObserver(([entry]) => {
      if (entry) setWidth(Math.max(420, Math.round(entry.contentRect.width)));
    });
    observer.observe(element);
    return () => observer.disconnect();
  }, []);
  const box: ChartBox = { width, height: HEIGHT, ...MARGINS };
  const scale = chartScale(preview, box);
  const xTicks = niceTicks(0, scale.maxKWh, 6);
  const yTicks = niceTicks(scale.minPrice, scale.maxPrice, 5);
  const yDecimals = tickDecimals(yTicks);
  const xDecimals = tickDecimals(xTicks);
  const unit = `${preview.currency}/kWh`;
  const right = box.width - box.right;
  const bottom = box.height - box.bottom;
  const priceLines: Array<{ price: number; label: string; className: string }> = [
    { price: preview.tariff.importPrice, label: 'grid import', className: 'grid-price' },
    { price: preview.tariff.exportPrice, label: 'grid export', className: 'grid-price' },
  ];
  if (preview.clearingPrice !== null)
    priceLines.push({ price: preview.clearingPrice, label: 'clearing price', className: 'clearing-price' });
  for (const zone of preview.zones)
    priceLines.push({ price: zone.price, label: `zone ${zone.topBus}`, className: 'zone-price' });
  const labelY = spreadLabels(
    priceLines.map((l) => scale.y(l.price)),
    15,
  );
  const empty = preview.supply.length === 0 && preview.demand.length === 0;

  return (
    <div className="market-chart-frame" ref={frame}>
      <svg
        className="market-chart"
        width={box.width}
        height={box.height}
        viewBox={`0 0 ${box.width} ${box.height}`}
        role="img"
        aria-label={`Supply and demand, energy in kWh against price in ${unit}`}
        data-testid="market-curves"
      >
        {yTicks.map((t) => (
          <g key={`y${t}`}>
            <line className="grid-line" x1={box.left} x2={right} y1={scale.y(t)} y2={scale.y(t)} />
            <text className="tick" x={box.left - 6} y={scale.y(t) + 4} textAnchor="end">
              {t.toFixed(yDecimals)}
            </text>
          </g>
        ))}
        {xTicks.map((t) => (
          <g key={`x${t}`}>
            <line className="grid-line" x1={scale.x(t)} x2={scale.x(t)} y1={box.top} y2={bottom} />
            <text className="tick" x={scale.x(t)} y={bottom + 14} textAnchor="middle">
              {t.toFixed(xDecimals)}
            </text>
          </g>
        ))}
        <text className="axis-label" x={(box.left + right) / 2} y={box.height - 4} textAnchor="middle">
          energy over the interval (kWh)
        </text>
        <text
          className="axis-label"
          transform={`translate(14 ${(box.top + bottom) / 2}) rotate(-90)`}
          textAnchor="middle"
        >
          price ({unit})
        </text>

        {priceLines.map((line, i) => (
          <g key={`${line.label}${line.price}`} className={line.className}>
            <line x1={box.left} x2={right} y1={scale.y(line.price)} y2={scale.y(line.price)} />
            <text x={right + 6} y={labelY[i]! + 4}>
              {line.label} {line.price.toFixed(3)} {unit}
            </text>
          </g>
        ))}
        {preview.localKWh > 0 && (
          <g className="traded-line">
            <line x1={scale.x(preview.localKWh)} x2={scale.x(preview.localKWh)} y1={box.top} y2={bottom} />
            <text x={scale.x(preview.localKWh)} y={box.top - 8} textAnchor="middle">
              traded locally {preview.localKWh.toFixed(2)} kWh
            </text>
          </g>
        )}
        <path className="curve supply" d={stepPath(preview.supply, scale)} data-testid="supply-curve" />
        <path className="curve demand" d={stepPath(preview.demand, scale)} data-testid="demand-curve" />
        <line className="axis" x1={box.left} x2={box.left} y1={box.top} y2={bottom} />
        <line className="axis" x1={box.left} x2={right} y1={bottom} y2={bottom} />
        {empty && (
          <text className="tick" x={(box.left + right) / 2} y={(box.top + bottom) / 2} textAnchor="middle">
            no orders yet: waiting for members&apos; readings
          </text>
        )}
      </svg>
      <ul className="legend inline">
        <li>
          <i className="swatch supply" /> supply: sellers&apos; offers, cheapest first
        </li>
        <li>
          <i className="swatch demand" /> demand: buyers&apos; bids, dearest first
        </li>
        {(preview.clearingPrice !== null || preview.zones.length > 0) && (
          <li>
            <i className="swatch price" /> {preview.zones.length ? 'zone prices' : 'clearing price'}
          </li>
        )}
        <li>
          <i className="swatch grid" /> grid import and export prices
        </li>
      </ul>
    </div>
  );
}

/** Moves labels apart vertically so that none is closer than `gap` to the next, keeping their order. */
function spreadLabels(ys: readonly number[], gap: number): number[] {
  const order = ys.map((_, i) => i).sort((a, b) => ys[a]! - ys[b]!);
  const out = [...ys];
  for (let k = 1; k < order.length; k++) {
    const above = out[order[k - 1]!]!;
    if (out[order[k]!]! < above + gap) out[order[k]!] = above + gap;
  }
  return out;
}
