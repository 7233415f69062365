// The market as settlement runs it: the same effective settings as the live preview
// (shared/market/site-settings.ts), so what the console shows during an interval is what it bills.
import type { MarketPreset, MeteredMember } from '../market/index.ts';
import { effectiveMarket, withStandingTerms, type EffectiveMarket } from '../market/site-settings.ts';
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

export function sitePreset(site: SiteFile): MarketPreset {
  return siteMarket(site).preset;
}

/** A member's metered interval with its standing terms (offer, bid, energy type, preferences). */
export function withMemberTerms(market: EffectiveMarket, member: MeteredMember): MeteredMember {
  return withStandingTerms(market, [member])[0] ?? member;
}
