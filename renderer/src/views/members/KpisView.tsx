// Site KPIs over any period from the settled intervals: welfare, local volume, self-sufficiency,
// money kept in the community, CO2 avoided; the money balance and reconciliation checks; the
// settled intervals with the manager's re-settle, and the ledger's verification.
import { observer } from 'mobx-react-lite';
import { useState } from 'react';
import type { SettledIntervalRow } from '../../../../shared/api/settlement-api.ts';
import type { SettlementStore } from '../../stores/settlement-store.ts';
import { LedgerBanner } from './LedgerBanner.tsx';
import { PeriodPicker } from './PeriodPicker.tsx';
import { kWh, localTime, money, pct } from './settlement-format.ts';
import './members.css';
import { Figure } from '../Figure.tsx';
import { useSettlement } from './use-settlement.ts';

const Resettle = observer(function Resettle({
  store,
  row,
}: {
  store: SettlementStore;
  row: SettledIntervalRow;
}) {
  const [open, setOpen] = useState(false);
  const [reason, setReason] = useState('');
  if (row.kind !== 'interval') return null;
  if (!open) return <button onClick={() => setOpen(true)}>Re-settle…</button>;
  return (
    <form
      className="resettle"
      onSubmit={(e) => {
        e.preventDefault();
        if (!reason.trim()) return;
        void store.resettle(row.startMs, reason.trim()).then(() => setOpen(false));
      }}
    >
      <input
        value={reason}
        onChange={(e) => setReason(e.target.value)}
        placeholder="why (corrected reading, …)"
        autoFocus
      />
      <button type="submit" disabled={!reason.trim()}>
        Book adjustment
      </button>
      <button type="button" onClick={() => setOpen(false)}>
        Cancel
      </button>
    </form>
  );
});

export const KpisView = observer(function KpisView() {
  const { settlement, site, timeZone } = useSettlement();
  const k = settlement.kpis;
  const c = settlement.status?.currency ?? site.site?.site.currency ?? 'EUR';
  const received = k ? k.money.grid + k.money.community + k.money.distributionOperator : 0;
  const v = settlement.verify;
  return (
    <div className="settlement page kpis-view">
      <PeriodPicker store={settlement} />
      <LedgerBanner store={settlement} />
      {settlement.error && <div className="alarm">{settlement.error}</div>}
      {!k ? (
        <p className="muted">Loading KPIs…</p>
      ) : (
        <>
          <section className="figures kpi-figures">
            <Figure
              label="Welfare"
              value={money(k.welfare, c)}
              detail="Σ (bid − offer) × energy of local trades"
              testId="kpi-welfare"
            />
            <Figure
              label="Local volume"
              value={kWh(k.localVolumeKWh)}
              detail={`trades ${kWh(k.localTradeKWh)} · pool ${kWh(k.poolServedKWh)}`}
              testId="kpi-local"
            />
            <Figure
              label="Self-sufficiency"
              value={pct(k.selfSufficiency, 1)}
              detail={`${kWh(k.locallySuppliedKWh)} of ${kWh(k.demandKWh)} net demand met without the grid`}
              testId="kpi-self-sufficiency"
            />
            <Figure
              label="Kept in the community"
              value={money(k.keptInCommunity, c)}
              detail="paid for local trades, pool energy and community fees"
              testId="kpi-kept"
            />
            <Figure
              label="CO₂ avoided"
              value={`${k.co2AvoidedKg.toFixed(1)} kg`}
              detail="local supply × the grid's emission factor"
              testId="kpi-co2"
            />
            <Figure
              label="Members saved"
              value={money(k.savings, c)}
              detail="against buying and selling with the grid alone"
              testId="kpi-savings"
            />
          </section>
          <div className="kpi-grid">
            <section className="panel">
              <h2>Energy</h2>
              <table className="table">
                <tbody>
                  <tr>
                    <td>Members' consumption (metered)</td>
                    <td className="num">{kWh(k.consumptionKWh)}</td>
                  </tr>
                  <tr>
                    <td>Imported from the grid</td>
                    <td className="num">{kWh(k.gridImportKWh)}</td>
                  </tr>
                  <tr>
                    <td>Exported to the grid</td>
                    <td className="num">{kWh(k.gridExportKWh)}</td>
                  </tr>
                  <tr>
                    <td>Pool losses</td>
                    <td className="num">{kWh(k.poolLossesKWh, 2)}</td>
                  </tr>
                  <tr>
                    <td>Not supplied / not taken (islanded)</td>
                    <td className="num">
                      {kWh(k.unservedKWh, 2)} / {kWh(k.curtailedKWh, 2)}
                    </td>
                  </tr>
                  <tr>
                    <td>Intervals settled (islanded, flagged)</td>
                    <td className="num" data-testid="kpi-intervals">
                      {k.intervals} ({k.islandedIntervals}, {k.flaggedIntervals})
                    </td>
                  </tr>
                </tbody>
              </table>
            </section>
            <section className="panel">
              <h2>Money and checks</h2>
              <table className="table">
                <tbody>
                  <tr>
                    <td>Members paid, net</td>
                    <td className="num">{money(k.money.membersNetCost, c)}</td>
                  </tr>
                  <tr>
                    <td>— the grid supplier received</td>
                    <td className="num">{money(k.money.grid, c)}</td>
                  </tr>
                  <tr>
                    <td>— the community fund received</td>
                    <td className="num">{money(k.money.community, c)}</td>
                  </tr>
                  <tr>
                    <td>— the distribution operator received</td>
                    <td className="num">{money(k.money.distributionOperator, c)}</td>
                  </tr>
                  <tr>
                    <td>Money balance (paid − received)</td>
                    <td
                      className={`num ${Math.abs(k.money.membersNetCost - received) < 0.005 ? 'ok' : 'alarm'}`}
                      data-testid="kpi-balance"
                    >
                      {money(k.money.membersNetCost - received, c, 4)}
                    </td>
                  </tr>
                  <tr>
                    <td>Largest storage reconciliation error</td>
                    <td className={`num ${k.maxReconciliationErrorKWh < 0.001 ? 'ok' : 'alarm'}`}>
                      {k.maxReconciliationErrorKWh.toExponential(1)} kWh
                    </td>
                  </tr>
                  <tr>
                    <td>Alarms</td>
                    <td className={`num ${k.alarms === 0 ? 'ok' : 'alarm'}`}>{k.alarms}</td>
                  </tr>
                </tbody>
              </table>
              <div className="verify">
                <button onClick={() => void settlement.verifyLedger()} data-testid="ledger-verify">
                  Verify the ledger
                </button>
                {v && (
                  <span className={v.ok ? 'ok' : 'alarm'} data-testid="ledger-verify-result">
                    {v.ok
                      ? `intact: ${v.entries} entries, head ${v.headHash.slice(0, 12)}…`
                      : `broken at entry ${v.seq}: ${v.problem}`}
                  </span>
                )}
              </div>
            </section>
          </div>
          <section className="panel">
            <h2>Settled intervals</h2>
            {settlement.resettleResult && (
              <p className="small">
                Re-settle: {settlement.resettleResult.status}
                {settlement.resettleResult.seq !== null
                  ? ` as ledger entry ${settlement.resettleResult.seq}`
                  : ''}
                {settlement.resettleResult.delta.length > 0
                  ? ` · ${settlement.resettleResult.delta.map((d) => `${d.member} ${money(d.netCost, c, 3)}`).join(', ')}`
                  : ''}
              </p>
            )}
            <table className="table intervals-table" data-testid="intervals-table">
              <thead>
                <tr>
                  <th>Entry</th>
                  <th>Interval</th>
                  <th>Mode</th>
                  <th className="num">Local</th>
                  <th className="num">Grid import</th>
                  <th className="num">Welfare</th>
                  <th className="num">Members paid</th>
                  <th>Notes</th>
                  <th />
                </tr>
              </thead>
              <tbody>
                {settlement.intervals.slice(0, 100).map((r) => (
                  <tr key={r.seq}>
                    <td className="mono">
                      {r.seq}
                      {r.kind === 'adjustment' && <span className="tag flag">adjustment</span>}
                    </td>
                    <td>{localTime(r.startMs, timeZone)}</td>
                    <td className={r.mode === 'grid-connected' ? '' : 'island-text'}>{r.mode}</td>
                    <td className="num">{kWh(r.localKWh, 2)}</td>
                    <td className="num">{kWh(r.gridImportKWh, 2)}</td>
                    <td className="num">{money(r.welfare, c, 3)}</td>
                    <td className="num">{money(r.membersNetCost, c, 3)}</td>
                    <td className="small">
                      {r.flags.map((f) => (
                        <span key={f} className="tag flag">
                          {f}
                        </span>
                      ))}
                      {r.alarms.length > 0 && (
                        <span className="alarm" title={r.alarms.join('\n')}>
                          {r.alarms.length} alarm(s)
                        </span>
                      )}
                    </td>
                    <td>
                      <Resettle store={settlement} row={r} />
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </section>
        </>
      )}
    </div>
  );
});
