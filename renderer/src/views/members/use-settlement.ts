// The settlement views (Members, Storage, KPIs) share one store: each attaches it to the site's
// timezone while shown and loads the chosen period.
import { useEffect } from 'react';
import { useStores } from '../../stores/context.tsx';

export function useSettlement() {
  const stores = useStores();
  const { settlement, site } = stores;
  const timeZone = site.site?.site.timezone ?? 'UTC';
  useEffect(() => {
    const detach = settlement.attach(timeZone);
    void settlement.load();
    return detach;
  }, [settlement, timeZone]);
  return { settlement, site, timeZone };
}
