// The pool over the period, from the settled intervals: what it held, and how that divides into
// the reserve, the community's account and the members' accounts (stacked), in kWh.
import { useEffect, useRef } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import type { StorageOverview } from '../../../../shared/api/settlement-api.ts';
import { fmtDate24 } from '../chart-time.ts';

const COLORS = { reserve: '#e5484d', community: '#4aa3ff', accounts: '#35c46a', stored: '#f0a020' };

export function StorageChart({ series, timeZone }: { series: StorageOverview['series']; timeZone: string }) {
  const host = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);

  useEffect(() => {
    const el = host.current;
    if (!el) return;
    const chart = new uPlot(
      {
        width: el.clientWidth || 800,
        height: 240,
        tzDate: (ts) => uPlot.tzDate(new Date(ts * 1000), timeZone),
        fmtDate: fmtDate24,
        legend: { show: true },
        scales: { x: { time: true }, y: { range: (_u, _min, max) => [0, Math.max(1, max * 1.05)] } },
        axes: [
          { stroke: '#7d8da3', grid: { stroke: '#1f2834' } },
          {
            stroke: '#7d8da3',
            grid: { stroke: '#1f2834' },
            size: 76,
            values: (_u, t) => t.map((v) => `${v} kWh`),
          },
        ],
        series: [
          {},
          { label: 'reserve', stroke: COLORS.reserve, fill: `${COLORS.reserve}55`, width: 1 },
          { label: '+ community', stroke: COLORS.community, fill: `${COLORS.community}44`, width: 1 },
          { label: '+ members', stroke: COLORS.accounts, fill: `${COLORS.accounts}44`, width: 1 },
          { label: 'pool holds', stroke: COLORS.stored, width: 2, dash: [6, 4] },
        ],
        bands: [
          { series: [2, 1], fill: `${COLORS.community}44` },
          { series: [3, 2], fill: `${COLORS.accounts}44` },
        ],
      },
      [[], [], [], [], []],
      el,
    );
    plot.current = chart;
    const resize = new ResizeObserver(() => chart.setSize({ width: el.clientWidth || 800, height: 240 }));
    resize.observe(el);
    return () => {
      resize.disconnect();
      chart.destroy();
      plot.current = null;
    };
  }, [timeZone]);

  useEffect(() => {
    // Stacked: each band's top is the sum of the holders below it.
    const t = series.map((p) => p.startMs / 1000);
    const reserve = series.map((p) => p.reserveKWh);
    const community = series.map((p, i) => reserve[i]! + p.communityKWh);
    const accounts = series.map((p, i) => community[i]! + p.accountsKWh);
    plot.current?.setData([t, reserve, community, accounts, series.map((p) => p.storedKWh)]);
  }, [series]);

  return <div className="storage-chart" ref={host} data-testid="storage-chart" />;
}
