// The market view: the current settlement interval cleared from live readings — headline
// figures, supply and demand curves with the clearing price, the trades on the network and in a
// table — and the market settings beside them.
import { observer } from 'mobx-react-lite';
import { useEffect } from 'react';
import type { MarketPreview } from '../../../../shared/api/market-api.ts';
import { useStores } from '../../stores/context.tsx';
import { clock } from '../format.ts';
import { SettingsPanel } from './SettingsPanel.tsx';
import { SupplyDemandChart } from './SupplyDemandChart.tsx';
import { TradeMap } from './TradeMap.tsx';
import { TradesTable } from './TradesTable.tsx';
import './market.css';

function Figure({
  label,
  value,
  unit,
  detail,
  testId,
  words = false,
}: {
  label: string;
  value: string;
  unit?: string;
  detail?: string;
  testId?: string;
  /** A name rather than a number: set smaller, so that it fits. */
  words?: boolean;
}) {
  return (
    <div className={words ? 'figure words' : 'figure'}>
      <div className="figure-label">{label}</div>
      <div className="figure-value" data-testid={testId} title={unit ? `${value} ${unit}` : value}>
        <span className="figure-number">{value}</span>
        {unit && <span className="figure-unit">{unit}</span>}
      </div>
      {detail && <div className="figure-detail">{detail}</div>}
    </div>
  );
}

interface PriceFigure {
  label: string;
  value: string;
  unit?: string;
  detail: string;
}

/** The headline price: the clearing price, the zones' prices when a branch splits them, or the trades' range. */
function priceFigure(p: MarketPreview): PriceFigure {
  const unit = `${p.currency}/kWh`;
  if (p.clearingPrice !== null)
    return {
      label: 'Clearing price',
      value: p.clearingPrice.toFixed(4),
      unit,
      detail: 'one price for every local trade',
    };
  if (p.zones.length) {
    const prices = p.zones.map((z) => z.price);
    return {
      label: 'Zonal prices',
      value: `${Math.min(...prices).toFixed(3)}–${Math.max(...prices).toFixed(3)}`,
      unit,
      detail: `no single price: a full branch splits the network into ${p.zones.length} price zones`,
    };
  }
  if (p.trades.length === 0)
    return { label: 'Clearing price', value: '—', detail: 'no local trade in this interval' };
  const prices = p.trades.map((t) => t.price);
  const low = Math.min(...prices);
  const high = Math.max(...prices);
  return {
    label: 'Trade prices',
    value: high - low < 5e-5 ? low.toFixed(4) : `${low.toFixed(3)}–${high.toFixed(3)}`,
    unit,
    detail: `no single price: ${p.mechanism} prices each trade`,
  };
}

export const MarketView = observer(function MarketView() {
  const { market, site } = useStores();
  useEffect(() => market.open(), [market]);
  const siteFile = site.site;
  const p = market.preview;
  if (!siteFile) return null;
  const timeZone = siteFile.site.timezone;
  const memberName = (id: string) => site.memberName(id);

  return (
    <div className="market page">
      {market.error && <div className="alarm">{market.error}</div>}
      {p && (
        <section className="figures market-figures">
          <Figure
            label="Interval"
            value={`${clock(p.interval.startMs, timeZone).slice(0, 5)}–${clock(p.interval.startMs + p.interval.minutes * 60_000, timeZone).slice(0, 5)}`}
            detail={`${Math.round(p.interval.elapsedFraction * 100)} % elapsed; the rest extrapolated from live power`}
            testId="market-interval"
          />
          <Figure
            label="Market"
            value={p.platform}
            words
            detail={`cleared by ${p.mechanism}`}
            testId="market-platform"
          />
          <Figure {...priceFigure(p)} testId="market-price" />
          <Figure
            label="Traded locally"
            value={p.localKWh.toFixed(2)}
            unit="kWh"
            detail={`${p.trades.length} trade${p.trades.length === 1 ? '' : 's'}; welfare ${p.welfare.toFixed(2)} ${p.currency}`}
            testId="market-local"
          />
          <Figure
            label={p.gridAvailable ? 'Grid import / export' : 'Unserved / curtailed'}
            value={
              p.gridAvailable
                ? `${p.grid.importKWh.toFixed(2)} / ${p.grid.exportKWh.toFixed(2)}`
                : `${p.grid.unservedKWh.toFixed(2)} / ${p.grid.curtailedKWh.toFixed(2)}`
            }
            unit="kWh"
            detail={
              p.gridAvailable
                ? `at ${p.tariff.importPrice.toFixed(3)} / ${p.tariff.exportPrice.toFixed(3)} ${p.currency}/kWh`
                : 'no grid: islanded or off-grid'
            }
          />
          <Figure
            label="Fees"
            value={p.fees.total.toFixed(3)}
            unit={p.currency}
            detail={`network ${p.fees.network.toFixed(3)} · community ${p.fees.community.toFixed(3)} · DSO ${p.fees.distributionOperator.toFixed(3)} ${p.currency}`}
          />
        </section>
      )}
      <div className="market-grid">
        <div className="market-main">
          <section className="panel">
            <header className="panel-head">
              <h2>Supply and demand</h2>
              <span className="muted small">
                {p
                  ? `${p.supply.length} sellers, ${p.demand.length} buyers` +
                    (p.unmetered.length ? `, ${p.unmetered.length} members without a reading` : '') +
                    ` · cleared at ${clock(p.computedMs, timeZone)} in ${p.timing.clearMs.toFixed(2)} ms`
                  : 'waiting for the first clearing'}
              </span>
              <button onClick={() => void market.refresh()} data-testid="market-refresh">
                Clear again
              </button>
            </header>
            {p && <SupplyDemandChart preview={p} />}
          </section>
          <div className="market-pair">
            <section className="panel">
              <h2>Trades on the network</h2>
              {p && <TradeMap site={siteFile} preview={p} memberName={memberName} />}
              <ul className="legend inline">
                <li>
                  <i className="swatch seller" /> seller
                </li>
                <li>
                  <i className="swatch buyer" /> buyer
                </li>
                <li>
                  <i className="swatch idle" /> no order
                </li>
                <li>
                  <i className="swatch unmetered" /> no reading
                </li>
                <li>
                  <i className="swatch trade" /> trade, width by kWh
                </li>
              </ul>
            </section>
            <section className="panel">
              <h2>Trades</h2>
              {p && <TradesTable preview={p} memberName={memberName} />}
            </section>
          </div>
        </div>
        <aside className="panel market-side">
          <SettingsPanel store={market} site={siteFile} />
        </aside>
      </div>
    </div>
  );
});
