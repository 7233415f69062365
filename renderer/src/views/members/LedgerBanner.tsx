// The plain warning above every figure made from a ledger that failed verification: members'
// bills, storage accounts and KPIs are only as good as the ledger they are summed from.
import { observer } from 'mobx-react-lite';
import type { SettlementStore } from '../../stores/settlement-store.ts';

export const LedgerBanner = observer(function LedgerBanner({ store }: { store: SettlementStore }) {
  const failure = store.ledgerFailure;
  if (!failure) return null;
  return (
    <div className="alarm ledger-banner" role="alert" data-testid="ledger-failed">
      {failure}
    </div>
  );
});
