// The interval's local trades, largest first, with their value and the totals.
import type { MarketPreview } from '../../../../shared/api/market-api.ts';

export function TradesTable({
  preview,
  memberName,
}: {
  preview: MarketPreview;
  memberName: (id: string) => string;
}) {
  const trades = [...preview.trades].sort((a, b) => b.energyKWh - a.energyKWh);
  const value = trades.reduce((sum, t) => sum + t.energyKWh * t.price, 0);
  const cur = preview.currency;
  if (trades.length === 0)
    return (
      <p className="muted small">No local trades in this interval yet: everything settles with the grid.</p>
    );
  return (
    <div className="trades-scroll">
      <table className="table" data-testid="market-trades">
        <thead>
          <tr>
            <th>Seller</th>
            <th>Buyer</th>
            <th className="num">Energy (kWh)</th>
            <th className="num">Price ({cur}/kWh)</th>
            <th className="num">Value ({cur})</th>
          </tr>
        </thead>
        <tbody>
          {trades.map((t, i) => (
            <tr key={`${t.seller}>${t.buyer}#${i}`}>
              <td>{memberName(t.seller)}</td>
              <td>{memberName(t.buyer)}</td>
              <td className="num">{t.energyKWh.toFixed(3)}</td>
              <td className="num">{t.price.toFixed(4)}</td>
              <td className="num">{(t.energyKWh * t.price).toFixed(3)}</td>
            </tr>
          ))}
        </tbody>
        <tfoot>
          <tr>
            <td colSpan={2}>
              {trades.length} trade{trades.length === 1 ? '' : 's'}
            </td>
            <td className="num">{preview.localKWh.toFixed(3)}</td>
            <td className="num">{preview.localKWh > 0 ? (value / preview.localKWh).toFixed(4) : '—'}</td>
            <td className="num">{value.toFixed(3)}</td>
          </tr>
        </tfoot>
      </table>
    </div>
  );
}
