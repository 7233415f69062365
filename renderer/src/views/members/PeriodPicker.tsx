// The period the members, storage and KPI views show: presets in the site's timezone, or any
// run of whole days. Shared by the three views through the settlement store.
import { observer } from 'mobx-react-lite';
import { useEffect, useState } from 'react';
import type { PeriodKind, SettlementStore } from '../../stores/settlement-store.ts';
import { localDay, periodLabel } from './settlement-format.ts';

const presets: Array<[Exclude<PeriodKind, 'custom'>, string]> = [
  ['day', 'Today'],
  ['week', '7 days'],
  ['month', 'This month'],
  ['last-month', 'Last month'],
  ['all', 'All settled'],
];

export const PeriodPicker = observer(function PeriodPicker({ store }: { store: SettlementStore }) {
  const tz = store.timeZone;
  const [from, setFrom] = useState(() => localDay(store.period.fromMs, tz));
  const [to, setTo] = useState(() => localDay(store.period.toMs - 1, tz));
  const { fromMs, toMs } = store.period;
  useEffect(() => {
    setFrom(localDay(fromMs, tz));
    setTo(localDay(toMs - 1, tz));
  }, [fromMs, toMs, tz]);
  return (
    <div className="period-picker">
      {presets.map(([kind, label]) => (
        <button
          key={kind}
          className={store.period.kind === kind ? 'active' : ''}
          onClick={() => void store.choosePeriod(kind)}
        >
          {label}
        </button>
      ))}
      <form
        className="period-custom"
        onSubmit={(e) => {
          e.preventDefault();
          void store.chooseCustom(from, to);
        }}
      >
        <input type="date" value={from} onChange={(e) => setFrom(e.target.value)} aria-label="from" />
        <span className="muted">to</span>
        <input type="date" value={to} onChange={(e) => setTo(e.target.value)} aria-label="to" />
        <button type="submit" className={store.period.kind === 'custom' ? 'active' : ''}>
          Show
        </button>
      </form>
      <span className="muted small period-label" data-testid="period-label">
        {periodLabel(store.period.fromMs, store.period.toMs, tz)}
        {store.loading ? ' · loading…' : ''}
      </span>
    </div>
  );
});
