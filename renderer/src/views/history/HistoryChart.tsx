// The history chart: every series on one time axis, one y scale per unit (the first on the left,
// the next on the right), counters drawn as steps of energy per bucket, live points after the
// stored ones. Dragging across the chart picks a range to zoom to; the chart is rebuilt only when
// its set of series or units changes and is fed new data in place otherwise.
import { useEffect, useMemo, useRef } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import type { HistorySeries } from '../../../../shared/api/history-api.ts';
import { fmtDate24 } from '../chart-time.ts';

const PALETTE = ['#4aa3ff', '#f0a020', '#35c46a', '#e5484d', '#b37feb', '#2fc6c8', '#e8e36a', '#ff7eb6'];
const HEIGHT = 360;

export type ChartSeries = HistorySeries & { live: Array<[number, number]>; label: string };

function unitLabel(s: HistorySeries): string {
  return s.unit || (s.quantity === 'socFraction' ? 'fraction' : '');
}

/** The step beyond which a series is broken rather than joined: 1.5 buckets, or 3 sampling steps. */
function gapLimitMs(s: ChartSeries, bucketMs: number | null): number {
  if (bucketMs !== null) return bucketMs * 1.5;
  const steps = s.times.slice(1).map((t, i) => t - s.times[i]!);
  steps.sort((a, b) => a - b);
  return Math.max(5_000, 3 * (steps[Math.floor(steps.length / 2)] ?? 1000));
}

/**
 * All series on the union of their times (seconds). A series has `undefined` where only another
 * series has a point (uPlot joins across it) and `null` where its own data has a gap (a break).
 */
export function alignSeries(series: ChartSeries[], bucketMs: number | null): uPlot.AlignedData {
  const gaps: Array<Array<[number, number]>> = [];
  const points = series.map((s) => {
    const limit = gapLimitMs(s, bucketMs);
    const own: Array<[number, number | null]> = [
      ...s.times.map((t, i): [number, number | null] => [t, s.values[i] ?? null]),
      ...s.live,
    ];
    const breaks: Array<[number, number]> = [];
    own.forEach(([t], i) => {
      const previous = own[i - 1];
      if (previous && t - previous[0] > limit) breaks.push([previous[0], t]);
    });
    gaps.push(breaks);
    // A point of its own inside each gap, so that the break shows even where no other series has one.
    return [...own, ...breaks.map(([from]): [number, number | null] => [from + 1, null])];
  });
  const times = new Set<number>();
  for (const p of points) for (const [t] of p) times.add(t);
  const xs = [...times].sort((a, b) => a - b);
  const index = new Map(xs.map((t, i) => [t, i]));
  const columns = points.map((p, k) => {
    const column = new Array<number | null | undefined>(xs.length).fill(undefined);
    for (const [t, v] of p) column[index.get(t)!] = v;
    // Other series' times inside a gap of this one are breaks too, not points to join across.
    for (const [from, to] of gaps[k]!)
      for (let i = index.get(from)! + 1; i < index.get(to)!; i++)
        if (column[i] === undefined) column[i] = null;
    return column;
  });
  return [xs.map((t) => t / 1000), ...columns] as uPlot.AlignedData;
}

export function HistoryChart({
  series,
  timeZone,
  bucketMs,
  fromMs,
  toMs,
  onZoom,
}: {
  series: ChartSeries[];
  bucketMs: number | null;
  timeZone: string;
  fromMs: number;
  toMs: number;
  onZoom: (fromMs: number, toMs: number) => void;
}) {
  const host = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const zoom = useRef(onZoom);
  zoom.current = onZoom;
  // What the chart's shape depends on: the series, their kinds and units.
  const shape = useMemo(
    () => series.map((s) => `${s.key}|${s.kind}|${unitLabel(s)}|${s.label}`).join('\n'),
    [series],
  );

  useEffect(() => {
    const el = host.current;
    if (!el) return;
    const units = [...new Set(series.map(unitLabel))];
    const axes: uPlot.Axis[] = [
      { stroke: '#7d8da3', grid: { stroke: '#1f2834' }, ticks: { stroke: '#1f2834' } },
      ...units.map((unit, i): uPlot.Axis => ({
        scale: unit,
        side: i % 2 === 0 ? 3 : 1,
        stroke: '#7d8da3',
        grid: { show: i === 0, stroke: '#1f2834' },
        size: 86,
        values: (_u, ticks) => ticks.map((t) => `${+t.toFixed(3)} ${unit}`),
      })),
    ];
    const stepped = uPlot.paths.stepped?.({ align: 1 });
    const chart = new uPlot(
      {
        width: el.clientWidth || 900,
        height: HEIGHT,
        tzDate: (ts) => uPlot.tzDate(new Date(ts * 1000), timeZone),
        fmtDate: fmtDate24,
        scales: { x: { time: true }, ...Object.fromEntries(units.map((u) => [u, { auto: true }])) },
        cursor: { drag: { x: true, y: false, setScale: false } },
        legend: { show: true, live: true },
        axes,
        series: [
          { label: 'time' },
          ...series.map((s, i): uPlot.Series => ({
            label: s.label,
            scale: unitLabel(s),
            stroke: PALETTE[i % PALETTE.length],
            width: 1.5,
            ...(s.kind === 'counter' && stepped ? { paths: stepped } : {}),
            value: (_u, v) => (v === null || v === undefined ? '—' : `${+v.toFixed(3)} ${unitLabel(s)}`),
          })),
        ],
        hooks: {
          setSelect: [
            (u) => {
              if (u.select.width < 5) return;
              const from = u.posToVal(u.select.left, 'x') * 1000;
              const to = u.posToVal(u.select.left + u.select.width, 'x') * 1000;
              u.setSelect({ left: 0, top: 0, width: 0, height: 0 }, false);
              zoom.current(from, to);
            },
          ],
        },
      },
      alignSeries(series, bucketMs),
      el,
    );
    plot.current = chart;
    const resize = new ResizeObserver(() => chart.setSize({ width: el.clientWidth || 900, height: HEIGHT }));
    resize.observe(el);
    return () => {
      resize.disconnect();
      chart.destroy();
      plot.current = null;
    };
    // The chart is rebuilt when its shape changes; data goes in through setData below.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [shape, timeZone]);

  useEffect(() => {
    const chart = plot.current;
    if (!chart) return;
    chart.setData(alignSeries(series, bucketMs), false);
    chart.setScale('x', { min: fromMs / 1000, max: toMs / 1000 });
  }, [series, bucketMs, fromMs, toMs]);

  return <div className="history-chart" ref={host} data-testid="history-chart" />;
}
