// The technician's commissioning view: scan an endpoint with progress, watch a unit's decoded
// points live, describe the device and its place in the topology, and save it to the site file.
import { observer } from 'mobx-react-lite';
import { useEffect } from 'react';
import type { ModelView, PointView } from '../../../../shared/api/field-api.ts';
import { deviceKindSchema } from '../../../../shared/site/schema.ts';
import type { AssignRole } from '../../stores/commissioning-store.ts';
import { useStores } from '../../stores/context.tsx';
import './commissioning.css';

const roles: Array<[AssignRole, string]> = [
  ['none', 'only place it on a bus'],
  ['member-meter', "a member's meter"],
  ['shed-relay', "members' shed relay"],
  ['branch-meter', "a feeder's head meter"],
  ['pcc-meter', 'the PCC meter'],
  ['pcc-breaker', 'the PCC breaker'],
  ['battery-pool', 'a battery-pool inverter'],
];

function formatPoint(point: PointView): string {
  if (!point.implemented) return '—';
  const v = point.value;
  if (Array.isArray(v)) return v.join(' | ') || '(none)';
  if (typeof v === 'number') return `${Math.round(v * 1000) / 1000}${point.units ? ` ${point.units}` : ''}`;
  return String(v);
}

const Model = observer(function Model({ model }: { model: ModelView }) {
  const points = model.points.filter((p) => p.implemented);
  return (
    <div className="model" data-testid={`model-${model.id}`}>
      <h3>
        {model.id} {model.label}{' '}
        <span className="muted small">
          at {model.offset}, L={model.length}
        </span>
      </h3>
      {model.error && <div className="alarm small">{model.error}</div>}
      {!model.known && <div className="muted small">not decoded: this console has no definition of it</div>}
      {points.length > 0 && (
        <table className="table">
          <tbody>
            {points.map((p) => (
              <tr key={p.name}>
                <td className="mono">{p.name}</td>
                <td className="num mono">{formatPoint(p)}</td>
                <td className="muted small">{p.writable ? 'writable' : ''}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
});

export const Commissioning = observer(function Commissioning() {
  const { commissioning: c, site } = useStores();
  useEffect(() => {
    void c.loadEndpoints();
    return () => c.stopLive();
  }, [c]);
  const s = site.site;
  const d = c.draft;
  const target = c.siteFile;
  return (
    <div className="commissioning" data-testid="commissioning">
      <div
        className={`site-file ${target === null ? '' : target.writable ? 'writable' : 'read-only'}`}
        data-testid="site-file"
        role="status"
      >
        {target === null ? (
          <span className="muted">Checking the site file…</span>
        ) : target.writable ? (
          <>
            Saving writes to <span className="mono">{target.file}</span> (the previous version is kept as
            .bak); the console polls a new device after a restart.
          </>
        ) : (
          <>
            <strong>Read-only site:</strong> {(target.reason ?? '').replace(/\.?$/, '.')} Scanning and reading
            work here; saving does not.
          </>
        )}
      </div>
      <section>
        <h2>Endpoint</h2>
        <div className="row">
          <div>
            <label htmlFor="cw-host">Host</label>
            <input id="cw-host" value={c.host} onChange={(e) => c.setEndpoint(e.target.value, c.port)} />
          </div>
          <div>
            <label htmlFor="cw-port">Port</label>
            <input
              id="cw-port"
              type="number"
              value={c.port}
              onChange={(e) => c.setEndpoint(c.host, Number(e.target.value))}
            />
          </div>
        </div>
        <div className="row">
          <div>
            <label htmlFor="cw-from">First unit</label>
            <input
              id="cw-from"
              type="number"
              value={c.fromUnit}
              onChange={(e) => c.setRange(Number(e.target.value), c.toUnit)}
            />
          </div>
          <div>
            <label htmlFor="cw-to">Last unit</label>
            <input
              id="cw-to"
              type="number"
              value={c.toUnit}
              onChange={(e) => c.setRange(c.fromUnit, Number(e.target.value))}
            />
          </div>
        </div>
        {c.scanning ? (
          <button onClick={() => void c.cancelScan()}>Stop scan</button>
        ) : (
          <button className="primary" onClick={() => void c.scan()} data-testid="scan">
            Scan
          </button>
        )}
        {(c.scanning || c.progress) && (
          <>
            <div className="progress">
              <div style={{ width: `${Math.round(c.progressFraction * 100)}%` }} />
            </div>
            <div className="muted small" data-testid="scan-progress">
              {c.progress
                ? `unit ${c.progress.unit}: ${c.progress.done} of ${c.progress.total}`
                : 'starting…'}
              , {c.units.length} found
            </div>
          </>
        )}
        {c.scanError && <div className="alarm small">{c.scanError}</div>}
        <h2 style={{ marginTop: 18 }}>This site&apos;s endpoints</h2>
        <div className="endpoint-list">
          {c.endpoints.map((e) => (
            <button key={`${e.host}:${e.port}`} onClick={() => c.setEndpoint(e.host, e.port, e.gateway)}>
              <span className="mono">
                {e.host}:{e.port}
              </span>{' '}
              <span className="muted small">
                {e.gateway ?? e.devices.map((x) => x.id).join(', ')} · {e.devices.length} unit
                {e.devices.length === 1 ? '' : 's'}
                {(e.siteHost !== e.host || e.sitePort !== e.port) &&
                  ` · site file: ${e.siteHost}:${e.sitePort}`}
              </span>
            </button>
          ))}
        </div>
      </section>

      <section>
        <h2>Units found</h2>
        {c.units.length === 0 && !c.scanning && (
          <div className="muted">Scan an endpoint to list its units.</div>
        )}
        <ul className="unit-list" data-testid="units">
          {c.units.map((u) => (
            <li
              key={u.unit}
              className={c.selectedUnit === u.unit ? 'selected' : ''}
              onClick={() => c.select(u.unit)}
            >
              <div>
                <strong>unit {u.unit}</strong>{' '}
                <span className="muted small">
                  {u.base === null ? 'answers, no SunSpec map' : `SunSpec at ${u.base}`}
                </span>
                {c.deviceAt(u.unit) ? (
                  <span className="tag small">in the site as {c.deviceAt(u.unit)}</span>
                ) : (
                  <span className="tag new small">new</span>
                )}
              </div>
              <div className="small">
                {[u.manufacturer, u.model, u.serial].filter(Boolean).join(' · ')}
                {u.models.length > 0 && (
                  <span className="muted"> models {u.models.map((m) => m.id).join(', ')}</span>
                )}
              </div>
            </li>
          ))}
        </ul>
      </section>

      <section>
        {c.selectedUnit === null ? (
          <div className="muted">Select a unit to see its points live and add it to the site.</div>
        ) : (
          <>
            <h2>
              Unit {c.selectedUnit} live{' '}
              {c.live && <span className="muted small">{new Date(c.live.timeMs).toLocaleTimeString()}</span>}
            </h2>
            <div className="map-choice">
              <label htmlFor="cw-map">Register map</label>
              <select id="cw-map" value={d.mapTemplate} onChange={(e) => c.chooseTemplate(e.target.value)}>
                <option value="">SunSpec, as the unit describes itself</option>
                {c.templates.map((t) => (
                  <option key={t.id} value={t.id}>
                    {t.label}
                  </option>
                ))}
              </select>
            </div>
            {c.liveError && <div className="alarm small">{c.liveError}</div>}
            <div data-testid="live-points">
              {c.live?.models.map((m) => (
                <Model key={`${m.id}@${m.offset}`} model={m} />
              ))}
              {c.livePoints && (
                <div className="model" data-testid="custom-points">
                  <h3>
                    {c.template?.label}{' '}
                    <span className="muted small">{c.livePoints.points.length} points</span>
                  </h3>
                  {c.livePoints.problems.map((p) => (
                    <div key={p} className="alarm small">
                      {p}
                    </div>
                  ))}
                  <table className="table">
                    <tbody>
                      {c.livePoints.points.map((p) => (
                        <tr key={p.name}>
                          <td>{p.name}</td>
                          <td className="num mono">{formatPoint(p)}</td>
                        </tr>
                      ))}
                    </tbody>
                  </table>
                </div>
              )}
            </div>
            <div className="assign">
              <h2>Add to the site</h2>
              <div className="row">
                <div>
                  <label htmlFor="cw-id">Device id</label>
                  <input id="cw-id" value={d.id} onChange={(e) => c.updateDraft({ id: e.target.value })} />
                </div>
                <div>
                  <label htmlFor="cw-name">Name</label>
                  <input
                    id="cw-name"
                    value={d.name}
                    onChange={(e) => c.updateDraft({ name: e.target.value })}
                  />
                </div>
              </div>
              <div className="row">
                <div>
                  <label htmlFor="cw-kind">Kind</label>
                  <select
                    id="cw-kind"
                    value={d.kind}
                    onChange={(e) => c.updateDraft({ kind: deviceKindSchema.parse(e.target.value) })}
                  >
                    {deviceKindSchema.options.map((k) => (
                      <option key={k}>{k}</option>
                    ))}
                  </select>
                </div>
                <div>
                  <label htmlFor="cw-gw">RS-485 gateway</label>
                  <select
                    id="cw-gw"
                    value={d.gateway}
                    onChange={(e) => c.updateDraft({ gateway: e.target.value })}
                  >
                    <option value="">none (direct TCP)</option>
                    {s?.gateways.map((g) => (
                      <option key={g.id} value={g.id}>
                        {g.name ?? g.id}
                      </option>
                    ))}
                  </select>
                </div>
              </div>
              <div className="row">
                <div>
                  <label htmlFor="cw-bus">Bus</label>
                  <select id="cw-bus" value={d.bus} onChange={(e) => c.updateDraft({ bus: e.target.value })}>
                    <option value="">—</option>
                    {s?.topology.buses.map((b) => (
                      <option key={b.id} value={b.id}>
                        {b.name ?? b.id}
                      </option>
                    ))}
                  </select>
                </div>
                <div>
                  <label htmlFor="cw-period">Poll period (ms)</label>
                  <input
                    id="cw-period"
                    type="number"
                    value={d.pollPeriodMs}
                    onChange={(e) => c.updateDraft({ pollPeriodMs: Number(e.target.value) })}
                  />
                </div>
              </div>
              <div className="row">
                <div>
                  <label htmlFor="cw-role">It is</label>
                  <select
                    id="cw-role"
                    value={d.role}
                    onChange={(e) => c.updateDraft({ role: e.target.value as AssignRole, roleTarget: '' })}
                  >
                    {roles.map(([id, label]) => (
                      <option key={id} value={id}>
                        {label}
                      </option>
                    ))}
                  </select>
                </div>
                <div>
                  {d.role === 'member-meter' && (
                    <>
                      <label htmlFor="cw-target">Member</label>
                      <select
                        id="cw-target"
                        value={d.roleTarget}
                        onChange={(e) => c.updateDraft({ roleTarget: e.target.value })}
                      >
                        <option value="">—</option>
                        {s?.members.map((m) => (
                          <option key={m.id} value={m.id}>
                            {m.name}
                          </option>
                        ))}
                      </select>
                    </>
                  )}
                  {d.role === 'branch-meter' && (
                    <>
                      <label htmlFor="cw-target">Branch</label>
                      <select
                        id="cw-target"
                        value={d.roleTarget}
                        onChange={(e) => c.updateDraft({ roleTarget: e.target.value })}
                      >
                        <option value="">—</option>
                        {s?.topology.branches.map((b) => (
                          <option key={b.id} value={b.id}>
                            {b.id}
                          </option>
                        ))}
                      </select>
                    </>
                  )}
                  {d.role === 'shed-relay' && (
                    <>
                      <label htmlFor="cw-target">Member ids</label>
                      <input
                        id="cw-target"
                        placeholder="h01, h02"
                        value={d.roleTarget}
                        onChange={(e) => c.updateDraft({ roleTarget: e.target.value })}
                      />
                    </>
                  )}
                </div>
              </div>
              {c.deviceAt(c.selectedUnit) && (
                <div className="muted small">
                  This unit is already in the site as {c.deviceAt(c.selectedUnit)}; saving it again under
                  another id is refused as a duplicate endpoint.
                </div>
              )}
              <button
                className="primary"
                disabled={c.saving || !d.id || target?.writable === false}
                title={target?.writable === false ? (target.reason ?? '') : undefined}
                onClick={() => void c.save()}
                data-testid="save-device"
              >
                {c.saving ? 'Saving…' : 'Validate and save to the site file'}
              </button>
              {c.saved && (
                <div className="ok small" data-testid="saved">
                  {c.saved}
                </div>
              )}
              {c.problems.length > 0 && (
                <ul className="problems small" data-testid="save-problems">
                  {c.problems.map((p, i) => (
                    <li key={i}>
                      <span className="mono">{p.path || '(document)'}</span>: {p.message}
                    </li>
                  ))}
                </ul>
              )}
            </div>
          </>
        )}
      </section>
    </div>
  );
});
