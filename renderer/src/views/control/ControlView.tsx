// The control view: the controller's mode on its state machine, the PCC and the battery pool,
// the shed tiers with their loads, operator actions (each proposed, checked by the back end,
// then confirmed — a refusal shows its reason), and the alarm, event and audit logs.
import { observer } from 'mobx-react-lite';
import { useEffect, useState } from 'react';
import type { BatteryMode, ControlState, OperatorCommand } from '../../../../shared/api/control-api.ts';
import { batteryModes, describeCommand } from '../../../../shared/api/control-api.ts';
import type { SiteFile } from '../../../../shared/site/schema.ts';
import { useStores } from '../../stores/context.tsx';
import type { ControlStore } from '../../stores/control-store.ts';
import { clock, kw, percent } from '../format.ts';
import { modeLabel, modeTone } from './mode-names.ts';
import { SimulatorPanel } from './SimulatorPanel.tsx';
import { StateMachine } from './StateMachine.tsx';
import './control.css';

const num = (v: number | null | undefined, digits: number, unit: string) =>
  v === null || v === undefined ? '—' : `${v.toFixed(digits)} ${unit}`;

function duration(seconds: number): string {
  if (seconds < 60) return `${seconds.toFixed(0)} s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min ${Math.floor(seconds % 60)} s`;
  return `${Math.floor(seconds / 3600)} h ${Math.floor((seconds % 3600) / 60)} min`;
}

const Row = ({
  label,
  value,
  tone,
  testId,
}: {
  label: string;
  value: string;
  tone?: string;
  testId?: string;
}) => (
  <div className="kv">
    <span className="muted">{label}</span>
    <span className={tone} data-testid={testId}>
      {value}
    </span>
  </div>
);

function PccPanel({ state }: { state: ControlState }) {
  const p = state.pcc;
  if (!p)
    return (
      <section className="panel">
        <h2>Point of common coupling</h2>
        <p className="muted">Off-grid site: no grid connection.</p>
      </section>
    );
  const breaker =
    p.breakerClosed === null
      ? 'unknown'
      : p.breakerTripped
        ? 'tripped open'
        : p.breakerClosed
          ? 'closed'
          : 'open';
  return (
    <section className="panel" data-testid="pcc-panel">
      <h2>Point of common coupling</h2>
      <div
        className={`breaker breaker-${p.breakerClosed === null ? 'unknown' : p.breakerClosed ? 'closed' : 'open'}`}
      >
        <span className="breaker-symbol" aria-hidden>
          {p.breakerClosed ? '━━●━━' : p.breakerClosed === false ? '━━╱ ━━' : '━━?━━'}
        </span>
        <span>
          Breaker <strong data-testid="breaker-state">{breaker}</strong>
        </span>
      </div>
      <Row label="Grid voltage" value={num(p.voltageV, 1, 'V')} />
      <Row label="Grid frequency" value={num(p.frequencyHz, 2, 'Hz')} />
      <Row
        label="Exchange"
        value={
          p.powerKW === null
            ? '—'
            : `${Math.abs(p.powerKW).toFixed(1)} kW ${p.powerKW >= 0 ? 'import' : 'export'}`
        }
        testId="pcc-exchange"
      />
      <Row label="Dead band for islanding" value={`±${state.deadBandKW} kW`} />
      <Row
        label="Grid"
        value={`${p.gridStatus}${p.gridStatus === 'present' ? '' : `: ${p.gridReason}`}`}
        tone={p.gridStatus === 'present' ? 'ok' : p.gridStatus === 'lost' ? 'alarm' : 'warn'}
        testId="grid-status"
      />
      {['islanded', 'resynchronising', 'blackout'].includes(state.mode) && p.gridStatus === 'present' && (
        <Row
          label="Stable for"
          value={`${duration(p.gridStableForS ?? 0)} of ${duration(p.stableRequiredS)}`}
          tone={(p.gridStableForS ?? 0) >= p.stableRequiredS ? 'ok' : 'warn'}
        />
      )}
      {state.syncCheck && (
        <Row label="Sync check" value={state.syncCheck.reason} tone={state.syncCheck.ok ? 'ok' : 'warn'} />
      )}
      <Row
        label="Island bus"
        value={`${num(state.island.voltageV, 0, 'V')} · ${num(state.island.frequencyHz, 2, 'Hz')}`}
        tone={state.island.energised === false ? 'alarm' : undefined}
      />
    </section>
  );
}

function PoolPanel({ state }: { state: ControlState }) {
  const pool = state.pool;
  const soc = pool.socFraction;
  return (
    <section className="panel" data-testid="pool-panel">
      <h2>Battery pool</h2>
      <div className="soc-bar" title="state of charge, with the essential reserve marked">
        <div
          className={`soc-fill${soc !== null && soc < pool.reserveSoC ? ' low' : ''}`}
          style={{ width: `${(soc ?? 0) * 100}%` }}
        />
        <div className="soc-reserve" style={{ left: `${pool.reserveSoC * 100}%` }} />
        <span>{percent(soc)}</span>
      </div>
      <Row
        label="Power"
        value={
          pool.powerKW === null
            ? '—'
            : `${pool.powerKW >= 0 ? 'discharging' : 'charging'} ${Math.abs(pool.powerKW).toFixed(1)} kW`
        }
      />
      <Row label="Available inverters" value={kw(pool.availableKW, 0)} />
      <Row
        label="Essential reserve"
        value={`${percent(pool.reserveSoC)} (${pool.reserveKWh.toFixed(1)} kWh)`}
      />
      <Row
        label="PV limit"
        value={percent(state.pvLimitFraction)}
        tone={state.pvLimitFraction < 1 ? 'warn' : undefined}
      />
      <table className="table compact">
        <thead>
          <tr>
            <th>Inverter</th>
            <th>Mode</th>
            <th className="num">SoC</th>
            <th className="num">Power</th>
          </tr>
        </thead>
        <tbody>
          {pool.batteries.map((b) => (
            <tr key={b.id}>
              <td className={b.available === false ? 'alarm' : undefined}>
                {b.id}
                {b.available === false ? ' (unavailable)' : ''}
              </td>
              <td data-testid={`battery-mode-${b.id}`}>{b.mode ?? '—'}</td>
              <td className="num">{percent(b.socFraction)}</td>
              <td className="num">{kw(b.powerKW)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}

function TiersPanel({
  state,
  site,
  control,
}: {
  state: ControlState;
  site: SiteFile;
  control: ControlStore;
}) {
  const names = new Map(site.members.map((m) => [m.id, m.name]));
  return (
    <section className="panel tiers" data-testid="tiers-panel">
      <h2>Load-shed tiers</h2>
      <table className="table compact">
        <thead>
          <tr>
            <th>Tier</th>
            <th>Members</th>
            <th className="num" title="members' meters, after their own rooftop PV">
              Net load
            </th>
            <th className="num">Shed below / back above</th>
            <th>State</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {state.tiers.map((t) => (
            <tr key={t.tier} className={t.shed ? 'shed' : undefined} data-testid={`tier-${t.tier}`}>
              <td>
                {t.tier}
                {t.essential ? <span className="tag essential">essential</span> : null}
              </td>
              <td className="members" title={t.members.map((id) => names.get(id) ?? id).join(', ')}>
                {t.members.length <= 3
                  ? t.members.map((id) => names.get(id) ?? id).join(', ')
                  : `${t.members.length} members: ${t.members
                      .slice(0, 2)
                      .map((id) => names.get(id) ?? id)
                      .join(', ')}, …`}
              </td>
              <td className="num" title={t.shed ? 'forecast: the tier is off' : 'measured'}>
                {kw(t.loadKW)}
                {t.shed && t.loadKW !== null ? <span className="muted small"> fc.</span> : null}
              </td>
              <td className="num">
                {percent(t.shedBelowSoC)} / {percent(t.restoreAboveSoC)}
              </td>
              <td className={t.shed ? 'alarm' : 'ok'}>
                {t.shed ? 'shed' : 'connected'}
                {t.manual ? ' (by hand)' : ''}
                <span className="muted small"> · {t.switchings} sw.</span>
              </td>
              <td>
                <button
                  className="small-button"
                  onClick={() => void control.propose({ kind: t.shed ? 'restore' : 'shed', tier: t.tier })}
                >
                  {t.shed ? 'Restore' : 'Shed'}
                </button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}

const ActionsPanel = observer(function ActionsPanel({
  state,
  control,
}: {
  state: ControlState;
  control: ControlStore;
}) {
  const [mode, setMode] = useState<BatteryMode>('self-consumption');
  const [setpoint, setSetpoint] = useState('0');
  const [inMinutes, setInMinutes] = useState('5');
  const pending = control.pending;
  const outcome = control.lastOutcome;
  const connected = state.siteKind === 'connected';
  const batteryCommand: OperatorCommand =
    mode === 'setpoint'
      ? { kind: 'battery-mode', mode, setpointKW: Number(setpoint) || 0 }
      : { kind: 'battery-mode', mode };
  return (
    <section className="panel actions" data-testid="actions-panel">
      <h2>Operator actions</h2>
      <div className="action-row">
        {connected && (
          <button data-testid="action-island" onClick={() => void control.propose({ kind: 'island' })}>
            Island now
          </button>
        )}
        {connected && (
          <button data-testid="action-reconnect" onClick={() => void control.propose({ kind: 'reconnect' })}>
            Reconnect
          </button>
        )}
        {connected && (
          <span className="inline">
            <button
              onClick={() =>
                void control.propose({
                  kind: 'island',
                  atMs: Date.now() + Math.max(1, Number(inMinutes) || 1) * 60_000,
                })
              }
            >
              Island in
            </button>
            <input
              aria-label="minutes from now"
              type="number"
              min={1}
              value={inMinutes}
              onChange={(e) => setInMinutes(e.target.value)}
            />
            min
          </span>
        )}
        {state.schedule.length > 0 && (
          <button onClick={() => void control.propose({ kind: 'cancel-schedule' })}>Cancel schedule</button>
        )}
      </div>
      <div className="action-row">
        <label className="inline">
          Battery pool
          <select
            value={mode}
            onChange={(e) => setMode(e.target.value as BatteryMode)}
            aria-label="battery mode"
          >
            {batteryModes.map((m) => (
              <option key={m} value={m}>
                {m}
              </option>
            ))}
          </select>
        </label>
        {mode === 'setpoint' && (
          <label className="inline">
            <input
              aria-label="pool setpoint kW"
              type="number"
              step={1}
              value={setpoint}
              onChange={(e) => setSetpoint(e.target.value)}
            />
            kW (+ discharges)
          </label>
        )}
        <button onClick={() => void control.propose(batteryCommand)}>Set mode</button>
      </div>
      {state.schedule.length > 0 && (
        <p className="muted small">
          Scheduled:{' '}
          {state.schedule.map((s) => `${describeCommand(s.command)} at ${clock(s.atMs)}`).join('; ')}
        </p>
      )}
      {pending && (
        <div
          className={`confirm ${pending.check && !pending.check.ok ? 'refused' : ''}`}
          data-testid="confirm-panel"
        >
          <div className="confirm-title">
            {pending.check === null ? 'Checking' : pending.check.ok ? 'Confirm' : 'Refused'}: {pending.label}
          </div>
          {pending.check && <p>{pending.check.summary}</p>}
          {pending.check && pending.check.reason && (
            <p className={pending.check.ok ? 'warn' : 'alarm'} data-testid="check-reason">
              {pending.check.ok ? 'Note: ' : 'Why: '}
              {pending.check.reason}
            </p>
          )}
          <div className="action-row">
            <button
              className="primary"
              data-testid="confirm-command"
              disabled={!pending.check?.ok || control.running}
              onClick={() => void control.confirm()}
            >
              {control.running ? 'Running…' : 'Confirm'}
            </button>
            <button onClick={() => control.cancel()}>
              {pending.check?.ok === false ? 'Close' : 'Cancel'}
            </button>
          </div>
        </div>
      )}
      {outcome && !pending && (
        <p className={outcome.done ? 'ok' : 'alarm'} data-testid="command-outcome">
          {outcome.label}: {outcome.done ? 'accepted' : outcome.ok ? 'failed' : 'refused'}
          {outcome.reason ? ` — ${outcome.reason}` : ''}
        </p>
      )}
    </section>
  );
});

const AlarmsPanel = observer(function AlarmsPanel({
  state,
  control,
  tz,
}: {
  state: ControlState;
  control: ControlStore;
  tz: string;
}) {
  return (
    <section className="panel log" data-testid="alarms-panel">
      <h2>Alarms</h2>
      {state.alarms.length === 0 && <p className="muted">No alarms.</p>}
      <ul>
        {state.alarms.map((a) => (
          <li key={a.id} className={`alarm-item sev-${a.severity}${a.clearedMs !== null ? ' cleared' : ''}`}>
            <span className="mono small">{clock(a.raisedMs, tz)}</span>
            <span className="msg">{a.message}</span>
            <span className="small muted">
              {a.clearedMs !== null
                ? `cleared ${clock(a.clearedMs, tz)}`
                : a.acknowledged
                  ? 'acknowledged'
                  : ''}
            </span>
            {a.clearedMs === null && !a.acknowledged && (
              <button className="small-button" onClick={() => void control.acknowledge(a.id)}>
                Acknowledge
              </button>
            )}
          </li>
        ))}
      </ul>
    </section>
  );
});

function EventsPanel({ state, tz }: { state: ControlState; tz: string }) {
  const events = [...state.events].reverse().slice(0, 60);
  return (
    <section className="panel log" data-testid="events-panel">
      <h2>Event log</h2>
      <ul>
        {events.map((e) => (
          <li key={e.id} className={`event kind-${e.kind}`}>
            <span className="mono small">{clock(e.atMs, tz)}</span>
            <span className="tag">{e.kind}</span>
            <span className="msg">{e.message}</span>
          </li>
        ))}
      </ul>
    </section>
  );
}

const AuditPanel = observer(function AuditPanel({ control, tz }: { control: ControlStore; tz: string }) {
  return (
    <section className="panel log" data-testid="audit-panel">
      <h2>Audit</h2>
      {control.audit.length === 0 && <p className="muted">No operator commands yet.</p>}
      <ul>
        {control.audit.map((r) => (
          <li key={r.id} className={`event outcome-${r.result}`}>
            <span className="mono small">{clock(r.atMs, tz)}</span>
            <span className={`tag ${r.result === 'ok' ? 'ok' : 'alarm'}`}>{r.result}</span>
            <span className="msg">
              {r.what} by {r.user ?? 'the console'} ({r.transport}){r.reason ? ` — ${r.reason}` : ''}
            </span>
          </li>
        ))}
      </ul>
    </section>
  );
});

export const ControlView = observer(function ControlView() {
  const { control, site } = useStores();
  useEffect(() => control.open(), [control]);
  const state = control.state;
  const siteFile = site.site;
  if (!state || !siteFile)
    return <div className="page muted">{control.error ?? 'Waiting for the controller…'}</div>;
  const tz = siteFile.site.timezone;
  const since = (state.timeMs - state.sinceMs) / 1000;
  return (
    <div className="control-view" data-testid="control-view">
      <section className={`mode-banner tone-${modeTone(state.mode)}`}>
        <div>
          <div className="figure-label">Controller mode</div>
          <div className="mode-name" data-testid="control-mode" data-mode={state.mode}>
            {modeLabel(state.mode)}
          </div>
        </div>
        <div className="mode-detail">
          <div>
            for {duration(Math.max(0, since))} · since {clock(state.sinceMs, tz)}
          </div>
          <div className="muted">{state.reason}</div>
        </div>
        {control.activeAlarms.length > 0 && (
          <div className="alarm-count" data-testid="active-alarms">
            {control.activeAlarms.length} active alarm{control.activeAlarms.length > 1 ? 's' : ''}
          </div>
        )}
      </section>
      <div className="control-grid">
        <section className="panel machine">
          <h2>State machine</h2>
          <StateMachine mode={state.mode} transitions={state.transitions} siteKind={state.siteKind} />
        </section>
        <ActionsPanel state={state} control={control} />
        <PccPanel state={state} />
        <PoolPanel state={state} />
        <TiersPanel state={state} site={siteFile} control={control} />
        <AlarmsPanel state={state} control={control} tz={tz} />
        <EventsPanel state={state} tz={tz} />
        <AuditPanel control={control} tz={tz} />
        <SimulatorPanel />
      </div>
    </div>
  );
});
