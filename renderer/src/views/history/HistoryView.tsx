// The history view: members, feeders, devices and the site over any range, at the resolution
// the historian picks for it, with the live values on top of the recent history; drag on the
// chart to zoom, arrows to pan; exports of what is shown, with progress.
import { observer } from 'mobx-react-lite';
import { useEffect, useState } from 'react';
import type { HistoryTargetKind } from '../../../../shared/api/history-api.ts';
import { useStores } from '../../stores/context.tsx';
import { CHART_QUANTITIES, RANGE_PRESETS, type HistoryStore } from '../../stores/history-store.ts';
import { HistoryChart } from './HistoryChart.tsx';
import './history.css';

const QUANTITY_LABEL = new Map(CHART_QUANTITIES.map((q) => [q.id, q.label]));

function rangeLabel(fromMs: number, toMs: number, timeZone: string): string {
  const f = new Intl.DateTimeFormat('en-GB', {
    timeZone,
    day: '2-digit',
    month: 'short',
    year: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
    hour12: false,
  });
  return `${f.format(fromMs)} – ${f.format(toMs)}`;
}

function save(fileName: string, mimeType: string, parts: string[]): void {
  const url = URL.createObjectURL(new Blob(parts, { type: mimeType }));
  const a = document.createElement('a');
  a.href = url;
  a.download = fileName;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

const TargetPicker = observer(function TargetPicker({ history }: { history: HistoryStore }) {
  const [kind, setKind] = useState<HistoryTargetKind>('member');
  const [id, setId] = useState('');
  const site = history.site;
  if (!site) return null;
  const options: Array<{ id: string; name: string }> =
    kind === 'member'
      ? site.members.map((m) => ({ id: m.id, name: m.name }))
      : kind === 'feeder'
        ? site.topology.branches
            .filter((b) => b.from === site.topology.root)
            .map((b) => ({ id: b.id, name: b.id }))
        : kind === 'device'
          ? site.devices.map((d) => ({ id: d.id, name: d.name ?? d.id }))
          : [{ id: 'site', name: 'Site (PCC)' }];
  const chosen = options.some((o) => o.id === id) ? id : (options[0]?.id ?? '');
  return (
    <div className="history-targets">
      {history.targets.map((t) => (
        <span key={`${t.kind}:${t.id}`} className="chip">
          {history.targetName(t)}
          <button aria-label={`remove ${history.targetName(t)}`} onClick={() => history.removeTarget(t)}>
            ×
          </button>
        </span>
      ))}
      <select aria-label="kind" value={kind} onChange={(e) => setKind(e.target.value as HistoryTargetKind)}>
        <option value="member">member</option>
        <option value="feeder">feeder</option>
        <option value="device">device</option>
        <option value="site">site</option>
      </select>
      <select aria-label="what" value={chosen} onChange={(e) => setId(e.target.value)}>
        {options.map((o) => (
          <option key={o.id} value={o.id}>
            {o.name}
          </option>
        ))}
      </select>
      <button onClick={() => chosen && history.addTarget({ kind, id: chosen })}>Add</button>
    </div>
  );
});

const ExportPanel = observer(function ExportPanel({ history }: { history: HistoryStore }) {
  const [format, setFormat] = useState<'csv' | 'json'>('csv');
  const [resolution, setResolution] = useState('15m');
  const state = history.exportState;
  const interval = history.site ? `${history.site.market.intervalMinutes}m` : '15m';
  const member = history.targets.find((t) => t.kind === 'member' || t.kind === 'device');
  return (
    <div className="history-export">
      <span className="muted small">
        Export {member ? history.targetName(member) : 'every device'}, this range:
      </span>
      <select
        aria-label="export resolution"
        value={resolution}
        onChange={(e) => setResolution(e.target.value)}
      >
        {['raw', '1m', interval, '1h', '1d']
          .filter((r, i, all) => all.indexOf(r) === i)
          .map((r) => (
            <option key={r} value={r}>
              {r}
            </option>
          ))}
      </select>
      <select
        aria-label="export format"
        value={format}
        onChange={(e) => setFormat(e.target.value as 'csv' | 'json')}
      >
        <option value="csv">CSV</option>
        <option value="json">JSON</option>
      </select>
      {state?.state === 'running' ? (
        <button onClick={() => void history.cancelExport()}>Cancel</button>
      ) : (
        <button onClick={() => void history.startExport({ format, resolution }, save)}>Export</button>
      )}
      {state && (
        <span className="export-state">
          <progress max={1} value={state.progress} />
          <span className="small">
            {state.state === 'failed'
              ? `failed: ${state.error}`
              : `${(state.progress * 100).toFixed(0)} % · ${state.rows.toLocaleString('en-GB')} rows · ${state.state}`}
          </span>
        </span>
      )}
    </div>
  );
});

export const HistoryView = observer(function HistoryView() {
  const { history, site } = useStores();
  useEffect(() => {
    void history.open();
    return () => history.close();
  }, [history]);
  const timeZone = site.site?.site.timezone ?? 'UTC';
  const result = history.result;
  const series = history.chartSeries.map((s) => ({
    ...s,
    label: `${history.targetName(s.target)} · ${QUANTITY_LABEL.get(s.quantity) ?? s.quantity}${s.kind === 'counter' && result?.resolution !== 'raw' ? ` per ${result?.resolution}` : ''}`,
  }));
  return (
    <div className="page history">
      <div className="history-toolbar">
        <h1>History</h1>
        <div className="presets">
          {RANGE_PRESETS.map((p) => (
            <button
              key={p.label}
              className={history.live && Math.abs(history.spanMs - p.ms) < 1000 ? 'active' : ''}
              onClick={() => history.setPreset(p.ms)}
            >
              {p.label}
            </button>
          ))}
        </div>
        <div className="pan">
          <button aria-label="earlier" onClick={() => history.pan(-0.5)}>
            ◀
          </button>
          <button aria-label="zoom out" onClick={() => history.zoomOut()}>
            −
          </button>
          <button aria-label="later" onClick={() => history.pan(0.5)} disabled={history.live}>
            ▶
          </button>
          <label className="live-toggle">
            <input
              type="checkbox"
              checked={history.live}
              onChange={(e) => history.setLive(e.target.checked)}
            />{' '}
            live
          </label>
        </div>
        <span className="range mono small">{rangeLabel(history.fromMs, history.toMs, timeZone)}</span>
      </div>
      <TargetPicker history={history} />
      <div className="history-quantities">
        {CHART_QUANTITIES.map((q) => (
          <label key={q.id}>
            <input
              type="checkbox"
              checked={history.quantities.includes(q.id)}
              onChange={() => history.toggleQuantity(q.id)}
            />{' '}
            {q.label}
          </label>
        ))}
      </div>
      <div className="history-meta small muted" data-testid="history-meta">
        {history.error ? (
          <span className="alarm">{history.error}</span>
        ) : result ? (
          <>
            resolution <b data-testid="history-resolution">{result.resolution}</b> ·{' '}
            {series.reduce((n, s) => n + s.times.length, 0).toLocaleString('en-GB')} stored points
            {history.live && ` · ${series.reduce((n, s) => n + s.live.length, 0)} live`} · answered in{' '}
            {result.elapsedMs.toFixed(1)} ms{history.loading && ' · loading…'} · drag on the chart to zoom
          </>
        ) : (
          'loading…'
        )}
      </div>
      {series.length > 0 ? (
        <HistoryChart
          series={series}
          bucketMs={result?.bucketMs ?? null}
          timeZone={timeZone}
          fromMs={history.fromMs}
          toMs={history.live ? Math.max(history.toMs, Date.now()) : history.toMs}
          onZoom={(f, t) => history.zoomTo(f, t)}
        />
      ) : (
        <div className="history-empty muted">
          Choose something to chart: add a member, feeder or device, and a quantity.
        </div>
      )}
      <ExportPanel history={history} />
    </div>
  );
});
