// The site's time-of-use tariff, edited beside the market settings: the grid's import and export
// prices by period of the local day, which bound every local price and price what falls back to
// the grid. The back end checks that the periods cover the whole day.
import { observer } from 'mobx-react-lite';
import type { MarketStore } from '../../stores/market-store.ts';
import { FieldNotes, NumberInput } from './settings-fields.tsx';

export const TariffEditor = observer(function TariffEditor({
  store,
  currency,
  timeZone,
}: {
  store: MarketStore;
  currency: string;
  timeZone: string;
}) {
  const tariff = store.tariffDraft;
  if (!tariff) return null;
  const periodsProblems = (store.check?.problems ?? []).filter((p) => p.path === 'tariff.periods');
  const setPeriod = (index: number, key: string, value: unknown) =>
    store.editTariff((t) => {
      const period = t.periods[index];
      if (period) (period as Record<string, unknown>)[key] = value;
    });

  return (
    <>
      <table className="table tariff-table" data-testid="market-tariff">
        <thead>
          <tr>
            <th>From</th>
            <th>To</th>
            <th>Import ({currency}/kWh)</th>
            <th>Export ({currency}/kWh)</th>
            <th aria-label="Remove" />
          </tr>
        </thead>
        <tbody>
          {tariff.periods.map((period, i) => {
            const problems = store.problemsAt(`tariff.periods[${i}]`);
            return (
              <tr key={i} className={problems.length ? 'invalid' : ''}>
                <td>
                  <input
                    className="mono clock"
                    size={5}
                    value={typeof period.from === 'string' ? period.from : ''}
                    aria-label={`Period ${i + 1} starts (HH:MM)`}
                    onChange={(e) => setPeriod(i, 'from', e.target.value)}
                  />
                </td>
                <td>
                  <input
                    className="mono clock"
                    size={5}
                    value={typeof period.to === 'string' ? period.to : ''}
                    aria-label={`Period ${i + 1} ends (HH:MM)`}
                    onChange={(e) => setPeriod(i, 'to', e.target.value)}
                  />
                </td>
                <td>
                  <NumberInput
                    value={period.importPricePerKWh}
                    testId={`tariff-import-${i}`}
                    onChange={(v) => setPeriod(i, 'importPricePerKWh', v ?? '')}
                  />
                </td>
                <td>
                  <NumberInput
                    value={period.exportPricePerKWh}
                    testId={`tariff-export-${i}`}
                    onChange={(v) => setPeriod(i, 'exportPricePerKWh', v ?? '')}
                  />
                </td>
                <td>
                  <button
                    className="icon"
                    title="Remove this period"
                    disabled={tariff.periods.length === 1}
                    onClick={() => store.editTariff((t) => void t.periods.splice(i, 1))}
                  >
                    ×
                  </button>
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
      {tariff.periods.map((_, i) => (
        <FieldNotes
          key={i}
          problems={store
            .problemsAt(`tariff.periods[${i}]`)
            .map((p) => ({ ...p, message: `period ${i + 1}${fieldName(p.path)}: ${p.message}` }))}
        />
      ))}
      <FieldNotes problems={periodsProblems} />
      <div className="tariff-foot">
        <button
          onClick={() =>
            store.editTariff((t) => {
              const last = t.periods.at(-1);
              t.periods.push({
                from: last?.to ?? '00:00',
                to: '00:00',
                importPricePerKWh: last?.importPricePerKWh ?? 0,
                exportPricePerKWh: last?.exportPricePerKWh ?? 0,
              });
            })
          }
        >
          Add a period
        </button>
        <label className="inline-field">
          Grid CO₂
          <NumberInput
            value={tariff.gridCO2KgPerKWh}
            width={5}
            onChange={(v) =>
              store.editTariff((t) => {
                t.gridCO2KgPerKWh = v ?? '';
              })
            }
          />
          kg/kWh
        </label>
      </div>
      <FieldNotes problems={store.problemsAt('tariff.gridCO2KgPerKWh')} />
      <p className="muted small">
        Local time in {timeZone}; a period ending at 00:00 runs to midnight, and the periods must cover the
        whole day. The grid’s prices bound every local price, and price what falls back to the grid.
      </p>
    </>
  );
});

const fieldNames: Record<string, string> = {
  from: 'start',
  to: 'end',
  importPricePerKWh: 'import price',
  exportPricePerKWh: 'export price',
};

/** The field a problem's path ends in, as the table's heading names it. */
function fieldName(path: string): string {
  const key = /\.(\w+)$/.exec(path)?.[1];
  return key && fieldNames[key] ? `, ${fieldNames[key]}` : '';
}
