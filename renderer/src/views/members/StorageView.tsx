// Storage: the pool as the members' virtual accounts, the community's account and the islanding
// reserve, beside the physical state of charge, now and over the period.
import { observer } from 'mobx-react-lite';
import type { StorageOverview } from '../../../../shared/api/settlement-api.ts';
import { LedgerBanner } from './LedgerBanner.tsx';
import { PeriodPicker } from './PeriodPicker.tsx';
import { StorageChart } from './StorageChart.tsx';
import { kWh, localTime, pct } from './settlement-format.ts';
import './members.css';
import { Figure } from '../Figure.tsx';
import { useSettlement } from './use-settlement.ts';

/** The pool's capacity as one bar: reserve, community, members' accounts, empty; the live SoC marked. */
function PoolBar({ s }: { s: StorageOverview }) {
  const cap = s.capacityKWh > 0 ? s.capacityKWh : 1;
  const w = (kwh: number) => `${Math.max(0, (kwh / cap) * 100)}%`;
  return (
    <div className="pool-bar" data-testid="pool-bar">
      <div className="pool-fill">
        <span
          className="seg reserve"
          style={{ width: w(s.reserveKWh) }}
          title={`reserve ${kWh(s.reserveKWh)}`}
        />
        <span
          className="seg community"
          style={{ width: w(s.communityKWh) }}
          title={`community ${kWh(s.communityKWh)}`}
        />
        <span
          className="seg accounts"
          style={{ width: w(s.accountsKWh) }}
          title={`members ${kWh(s.accountsKWh)}`}
        />
        <span
          className="reserve-target"
          style={{ left: w(s.reserveTargetKWh) }}
          title={`reserve target ${kWh(s.reserveTargetKWh)}`}
        />
        {s.liveSocFraction !== null && (
          <span
            className="live-soc"
            style={{ left: `${s.liveSocFraction * 100}%` }}
            title={`live SoC ${pct(s.liveSocFraction)}`}
          />
        )}
      </div>
      <ul className="legend inline">
        <li>
          <i className="swatch reserve" /> islanding reserve (never allocated)
        </li>
        <li>
          <i className="swatch community" /> community account
        </li>
        <li>
          <i className="swatch accounts" /> members' accounts
        </li>
        <li>
          <i className="swatch live" /> live state of charge
        </li>
      </ul>
    </div>
  );
}

export const StorageView = observer(function StorageView() {
  const { settlement, timeZone } = useSettlement();
  const s = settlement.storage;
  const held = s ? s.reserveKWh + s.communityKWh + s.accountsKWh : 0;
  const mismatch = s && s.storedKWh !== null ? held - s.storedKWh : null;
  return (
    <div className="settlement page storage-view">
      <PeriodPicker store={settlement} />
      <LedgerBanner store={settlement} />
      {settlement.error && <div className="alarm">{settlement.error}</div>}
      {!s ? (
        <p className="muted">Loading the pool…</p>
      ) : (
        <>
          <section className="figures storage-figures">
            <Figure
              label="Pool now"
              value={pct(s.liveSocFraction, 1)}
              detail={
                s.liveSocFraction === null
                  ? 'no live state of charge'
                  : `about ${kWh(s.liveSocFraction * s.capacityKWh)} of ${kWh(s.capacityKWh)}, live`
              }
              testId="storage-live-soc"
            />
            <Figure
              label="At the last settlement"
              value={kWh(s.storedKWh)}
              detail={
                s.lastSettledStartMs === null
                  ? 'nothing settled yet'
                  : `interval of ${localTime(s.lastSettledStartMs, timeZone)}`
              }
              testId="storage-stored"
            />
            <Figure
              label="Islanding reserve"
              value={kWh(s.reserveKWh)}
              detail={`target ${kWh(s.reserveTargetKWh)}: essential loads for the site's reserve hours`}
              testId="storage-reserve"
            />
            <Figure
              label="Community account"
              value={kWh(s.communityKWh)}
              detail="energy the pool bought from members or the grid"
            />
            <Figure
              label="Members' accounts"
              value={kWh(s.accountsKWh)}
              detail={`${s.accounts.filter((a) => a.balanceKWh > 0.0005).length} of ${s.accounts.length} accounts hold energy`}
              testId="storage-accounts"
            />
            <Figure
              label="Reconciliation"
              value={
                mismatch === null ? '—' : `${Math.abs(mismatch) < 0.001 ? '0.000' : mismatch.toFixed(3)} kWh`
              }
              detail="reserve + community + accounts − what the pool holds"
              testId="storage-reconciliation"
            />
          </section>
          <section className="panel">
            <h2>Pool capacity</h2>
            <PoolBar s={s} />
          </section>
          <section className="panel">
            <h2>Over the period</h2>
            {s.series.length === 0 ? (
              <p className="muted small">No settled interval in the period.</p>
            ) : (
              <StorageChart series={s.series} timeZone={timeZone} />
            )}
          </section>
          <section className="panel">
            <h2>Virtual storage accounts</h2>
            <table className="table accounts-table" data-testid="accounts-table">
              <thead>
                <tr>
                  <th>Member</th>
                  <th className="num">Share</th>
                  <th className="num">Capacity</th>
                  <th className="num">Balance</th>
                  <th>Fill</th>
                </tr>
              </thead>
              <tbody>
                {s.accounts.map((a) => (
                  <tr key={a.member}>
                    <td>{a.name}</td>
                    <td className="num">{pct(a.shareFraction, 1)}</td>
                    <td className="num">{kWh(a.capacityKWh, 2)}</td>
                    <td className="num">{kWh(a.balanceKWh, 3)}</td>
                    <td className="fill-cell">
                      <span className="fill">
                        <span
                          style={{
                            width: `${a.capacityKWh > 0 ? Math.min(100, (a.balanceKWh / a.capacityKWh) * 100) : 0}%`,
                          }}
                        />
                      </span>
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
