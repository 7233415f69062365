// Members: each member's energy, trades, bill and virtual storage account over the period, and
// their monthly statements (shown printable in place, printed, or downloaded as PDF).
import { observer } from 'mobx-react-lite';
import { useRef } from 'react';
import type { MemberDetail } from '../../../../shared/api/settlement-api.ts';
import type { SettlementStore } from '../../stores/settlement-store.ts';
import { LedgerBanner } from './LedgerBanner.tsx';
import { PeriodPicker } from './PeriodPicker.tsx';
import { kWh, localTime, money, monthLabel, pct } from './settlement-format.ts';
import './members.css';
import { Figure } from '../Figure.tsx';
import { useSettlement } from './use-settlement.ts';

function download(name: string, bytes: Uint8Array, type: string): void {
  const url = URL.createObjectURL(new Blob([bytes as BlobPart], { type }));
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

const MembersTable = observer(function MembersTable({ store }: { store: SettlementStore }) {
  const overview = store.members;
  if (!overview) return <p className="muted">Loading members…</p>;
  const c = overview.currency;
  return (
    <table className="table members-table" data-testid="members-table">
      <thead>
        <tr>
          <th>Member</th>
          <th className="num">Used</th>
          <th className="num">Fed in</th>
          <th className="num">Local</th>
          <th className="num">Grid</th>
          <th className="num">Bill</th>
          <th className="num">Saved</th>
          <th className="num">Account</th>
        </tr>
      </thead>
      <tbody>
        {overview.members.map((m) => (
          <tr
            key={m.member}
            className={store.selected === m.member ? 'selected' : ''}
            onClick={() => void store.select(m.member)}
            data-member={m.member}
          >
            <td>
              {m.name}
              <div className="muted small">{m.category}</div>
            </td>
            <td className="num">{kWh(m.importKWh)}</td>
            <td className="num">{kWh(m.exportKWh)}</td>
            <td className="num">{kWh(m.boughtKWh + m.fromPoolKWh + m.fromOwnStorageKWh)}</td>
            <td className="num">{kWh(m.gridImportKWh)}</td>
            <td className={`num ${m.netCost < 0 ? 'ok' : ''}`}>{money(m.netCost, c)}</td>
            <td className="num">{money(m.savings, c)}</td>
            <td className="num">{m.capacityKWh > 0 ? kWh(m.balanceKWh, 2) : '—'}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
});

function MemberFigures({ d, currency }: { d: MemberDetail; currency: string }) {
  const s = d.summary;
  const local = s.boughtKWh + s.fromPoolKWh + s.fromOwnStorageKWh;
  const drawn = local + s.gridImportKWh;
  return (
    <section className="figures member-figures">
      <Figure
        label="Energy used"
        value={kWh(s.importKWh)}
        detail={`${pct(drawn > 0 ? local / drawn : null)} of what it drew came from the community`}
        testId="member-used"
      />
      <Figure
        label="Where it came from"
        value={kWh(local)}
        detail={`neighbours ${kWh(s.boughtKWh)} · pool ${kWh(s.fromPoolKWh)} · own storage ${kWh(s.fromOwnStorageKWh)} · grid ${kWh(s.gridImportKWh)}`}
      />
      <Figure
        label="Fed in"
        value={kWh(s.exportKWh)}
        detail={`sold to neighbours ${kWh(s.soldKWh)} · stored ${kWh(s.storedKWh)} · to the pool ${kWh(s.soldToPoolKWh)} · grid ${kWh(s.gridExportKWh)}`}
      />
      <Figure
        label={s.netCost >= 0 ? 'Bill' : 'Credit'}
        value={money(Math.abs(s.netCost), currency)}
        detail={`fees ${money(s.fees, currency)} · grid alone ${money(s.gridOnlyCost, currency)} · saved ${money(s.savings, currency)}`}
        testId="member-bill"
      />
      <Figure
        label="Storage account"
        value={s.capacityKWh > 0 ? kWh(s.balanceKWh, 2) : 'none'}
        detail={
          s.capacityKWh > 0
            ? `of ${kWh(s.capacityKWh)} (${s.poolSharePct} % of the pool, less the reserve)`
            : 'no share of the pool'
        }
        testId="member-balance"
      />
    </section>
  );
}

const Statement = observer(function Statement({ store }: { store: SettlementStore }) {
  const frame = useRef<HTMLIFrameElement>(null);
  const d = store.detail;
  if (!d) return null;
  const months = d.months;
  return (
    <section className="panel statement-panel">
      <header className="panel-head">
        <h2>Statements</h2>
        {months.length === 0 ? (
          <span className="muted small">no settled month yet</span>
        ) : (
          <>
            <select
              value={store.statementMonth ?? ''}
              onChange={(e) => store.setStatementMonth(e.target.value)}
              aria-label="statement month"
            >
              {months.map((m) => (
                <option key={m} value={m}>
                  {monthLabel(m)}
                </option>
              ))}
            </select>
            <button onClick={() => void store.openStatement()} data-testid="statement-open">
              Open
            </button>
            <button
              disabled={!store.statementHtml}
              onClick={() => frame.current?.contentWindow?.print()}
              data-testid="statement-print"
            >
              Print
            </button>
            <button
              onClick={() =>
                void store.statementPdf().then((pdf) => {
                  if (pdf) download(pdf.name, pdf.bytes, 'application/pdf');
                })
              }
              data-testid="statement-pdf"
            >
              Download PDF
            </button>
            {store.statementHtml && (
              <button
                onClick={() =>
                  download(
                    `${store.selected}-${store.statementMonth}.html`,
                    new TextEncoder().encode(store.statementHtml!),
                    'text/html',
                  )
                }
              >
                Download HTML
              </button>
            )}
            {store.statementHtml && <button onClick={() => store.closeStatement()}>Close</button>}
          </>
        )}
      </header>
      {store.statement && (
        <p className="muted small" data-testid="statement-total">
          {monthLabel(store.statement.month)}: {store.statement.money.total >= 0 ? 'due' : 'credited'}{' '}
          {money(Math.abs(store.statement.money.total), store.statement.site.currency)} · saved{' '}
          {money(store.statement.money.savings, store.statement.site.currency)} ·{' '}
          {store.statement.intervals.settled} of {store.statement.intervals.expected} intervals settled
        </p>
      )}
      {store.statementHtml && (
        // No scripts run in it; same origin only so that Print can reach its window.
        <iframe
          ref={frame}
          className="statement-frame"
          title="statement"
          sandbox="allow-same-origin allow-modals"
          srcDoc={store.statementHtml}
        />
      )}
    </section>
  );
});

const MemberDetailPanel = observer(function MemberDetailPanel({
  store,
  currency,
  timeZone,
}: {
  store: SettlementStore;
  currency: string;
  timeZone: string;
}) {
  const d = store.detail;
  if (!d) return <p className="muted">Choose a member.</p>;
  return (
    <div className="member-detail" data-testid="member-detail">
      <h2 className="member-name">
        {d.summary.name}{' '}
        <span className="muted small">
          {d.summary.member} · {d.summary.category} · {d.summary.intervals} intervals settled in the period
        </span>
      </h2>
      <MemberFigures d={d} currency={currency} />
      <Statement store={store} />
      <div className="member-pair">
        <section className="panel">
          <h2>Trades with neighbours</h2>
          {d.trades.length === 0 ? (
            <p className="muted small">No local trade in the latest intervals of the period.</p>
          ) : (
            <table className="table" data-testid="member-trades">
              <thead>
                <tr>
                  <th>Interval</th>
                  <th>Side</th>
                  <th>With</th>
                  <th className="num">Energy</th>
                  <th className="num">Price</th>
                </tr>
              </thead>
              <tbody>
                {d.trades.slice(0, 60).map((t, i) => (
                  <tr key={i}>
                    <td>{localTime(t.startMs, timeZone)}</td>
                    <td className={t.side === 'sell' ? 'ok' : 'buy'}>
                      {t.side === 'sell' ? 'sold to' : 'bought from'}
                    </td>
                    <td>{t.counterparty}</td>
                    <td className="num">{kWh(t.energyKWh, 3)}</td>
                    <td className="num">{money(t.pricePerKWh, currency, 3)}/kWh</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </section>
        <section className="panel">
          <h2>Latest intervals</h2>
          <table className="table" data-testid="member-intervals">
            <thead>
              <tr>
                <th>Interval</th>
                <th className="num">Import</th>
                <th className="num">Export</th>
                <th className="num">Bill</th>
                <th className="num">Account</th>
              </tr>
            </thead>
            <tbody>
              {d.intervals.slice(0, 60).map((r) => (
                <tr key={r.startMs}>
                  <td>
                    {localTime(r.startMs, timeZone)}
                    {r.mode !== 'grid-connected' && <span className="tag island">{r.mode}</span>}
                    {r.flags.map((f) => (
                      <span key={f} className="tag flag">
                        {f}
                      </span>
                    ))}
                  </td>
                  <td className="num">{kWh(r.importKWh, 3)}</td>
                  <td className="num">{kWh(r.exportKWh, 3)}</td>
                  <td className="num">{money(r.netCost, currency, 3)}</td>
                  <td className="num">{kWh(r.balanceKWh, 2)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </section>
      </div>
    </div>
  );
});

export const MembersView = observer(function MembersView() {
  const { settlement, site, timeZone } = useSettlement();
  const currency = settlement.members?.currency ?? site.site?.site.currency ?? 'EUR';
  return (
    <div className="settlement page members-view">
      <PeriodPicker store={settlement} />
      <LedgerBanner store={settlement} />
      {settlement.error && <div className="alarm">{settlement.error}</div>}
      <div className="members-grid">
        <section className="panel members-list">
          <h2>Members</h2>
          <MembersTable store={settlement} />
        </section>
        <MemberDetailPanel store={settlement} currency={currency} timeZone={timeZone} />
      </div>
    </div>
  );
});
