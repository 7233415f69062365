// A small uPlot time series for a headline figure; the chart is rebuilt only when its size
// changes and fed new data in place.
import { useEffect, useRef } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

export function Sparkline({
  points,
  unit,
  color,
}: {
  points: Array<[number, number]>;
  unit: string;
  color: string;
}) {
  const host = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);

  useEffect(() => {
    if (!host.current) return;
    const chart = new uPlot(
      {
        width: host.current.clientWidth || 240,
        height: 64,
        legend: { show: false },
        cursor: { show: false },
        scales: { x: { time: true } },
        axes: [
          { show: false },
          {
            size: 44,
            stroke: '#7d8da3',
            grid: { stroke: '#1f2834' },
            ticks: { show: false },
            values: (_u, ticks) => ticks.map((t) => `${t} ${unit}`),
          },
        ],
        series: [{}, { stroke: color, width: 1.5, fill: `${color}22` }],
      },
      [[], []],
      host.current,
    );
    plot.current = chart;
    return () => {
      chart.destroy();
      plot.current = null;
    };
  }, [unit, color]);

  useEffect(() => {
    plot.current?.setData([points.map(([t]) => t / 1000), points.map(([, v]) => v)]);
  }, [points]);

  return <div className="sparkline" ref={host} />;
}
