// The site's market settings in effect (shared/market/site-settings.ts), with a failure named as
// the site file's: what the interval market clears by, for the live preview and settlement alike.
import { effectiveMarket, type EffectiveMarket } from '../market/site-settings.ts';
import type { SiteFile } from '../site/schema.ts';

export class SiteMarketError extends Error {
  override name = 'SiteMarketError';
}

export function siteMarket(site: SiteFile): EffectiveMarket {
  try {
    return effectiveMarket(site.market);
  } catch (error) {
    throw new SiteMarketError(`site file: market: ${(error as Error).message}`);
  }
}
