// The site's market settings as the console applies them: the platform preset with the site's
// overrides (mechanism, pricing, fees, fixed-rate designations, the pool's price and sharing
// rule) and members' standing orders and preferences; and the checks that need the whole site
// (member ids) or that only warn (a setting the mechanism ignores). One interval's orders are built
// from these by shared/market/interval-market.ts, for the live preview and settlement alike.
import type { MarketSettings, MemberMarketSettings, SiteFile } from '../site/schema.ts';
import type { Problem } from '../validation/problems.ts';
import type { ClearInput } from './clear-input.ts';
import type { MeteredMember } from './metered-orders.ts';
import { marketPresets, type MarketPreset } from './presets.ts';

export interface EffectiveMarket {
  /** The preset with the site's overrides applied: what the market clears by. */
  preset: MarketPreset;
  /** Members served at the fixed rate besides the preset's categories. */
  designatedMembers: string[];
  /** Standing orders and preferences by member id. */
  members: Record<string, MemberMarketSettings>;
  /** JSON paths (under `market`) of the settings the site overrides. */
  overridden: string[];
}

const preferenceMechanisms = new Set(['price-match', 'hybrid']);

export function effectiveMarket(settings: MarketSettings): EffectiveMarket {
  const base = marketPresets[settings.preset];
  const overridden: string[] = [];
  const mechanism = settings.mechanism ?? base.mechanism;
  if (settings.mechanism !== undefined && settings.mechanism !== base.mechanism) overridden.push('mechanism');

  const pricing = { ...base.pricing };
  if (settings.pricing?.offer) {
    pricing.offer = settings.pricing.offer;
    overridden.push('pricing.offer');
  }
  if (settings.pricing?.bid) {
    pricing.bid = settings.pricing.bid;
    overridden.push('pricing.bid');
  }

  const fees = { ...base.fees, ...settings.fees };
  for (const key of Object.keys(settings.fees ?? {})) overridden.push(`fees.${key}`);

  const preset: MarketPreset = {
    ...base,
    mechanism,
    pricing,
    fees,
    // A site's own lists are always honoured; with none, 'member-lists' matches nobody, as 'none' does.
    preferences: base.preferences.kind === 'none' ? { kind: 'member-lists' } : base.preferences,
  };

  // Designations only mean something to the fixed-rate mechanism: elsewhere they would only
  // raise the designated members' bids.
  delete preset.fixedRate;
  const designatedMembers: string[] = [];
  if (mechanism === 'fixed-rate') {
    const fixed = settings.fixedRate;
    const price = fixed?.price ?? base.fixedRate?.price;
    if (price !== undefined)
      preset.fixedRate = {
        price,
        categories: fixed?.categories ?? base.fixedRate?.categories ?? [],
        rest: fixed?.rest ?? base.fixedRate?.rest ?? 'uniform',
      };
    designatedMembers.push(...(fixed?.members ?? []));
    for (const key of ['price', 'categories', 'members', 'rest'] as const)
      if (fixed?.[key] !== undefined) overridden.push(`fixedRate.${key}`);
  }

  const communityPrice = settings.community?.price ?? base.community?.price;
  if (communityPrice !== undefined)
    preset.community = {
      price: communityPrice,
      sharing: settings.community?.sharing ?? base.community?.sharing ?? 'pro-rata',
    };
  for (const key of ['price', 'sharing'] as const)
    if (settings.community?.[key] !== undefined) overridden.push(`community.${key}`);

  const members = settings.members ?? {};
  for (const id of Object.keys(members)) overridden.push(`members.${id}`);
  return { preset, designatedMembers, members, overridden };
}

/** Members' metered energy with their standing order and preferences where the interval has none. */
export function withStandingTerms(
  market: EffectiveMarket,
  metered: readonly MeteredMember[],
): MeteredMember[] {
  return metered.map((member): MeteredMember => {
    const terms = market.members[member.id];
    if (!terms) return member;
    const withTerms = { ...member };
    if (withTerms.offerPricePerKWh === undefined && terms.offerPricePerKWh !== undefined)
      withTerms.offerPricePerKWh = terms.offerPricePerKWh;
    if (withTerms.bidPricePerKWh === undefined && terms.bidPricePerKWh !== undefined)
      withTerms.bidPricePerKWh = terms.bidPricePerKWh;
    if (withTerms.energyType === undefined && terms.energyType !== undefined)
      withTerms.energyType = terms.energyType;
    if (withTerms.preferences === undefined && terms.preferences !== undefined)
      withTerms.preferences = terms.preferences;
    return withTerms;
  });
}

/** Serves the members the site names at the fixed rate, beside the preset's categories. */
export function designateFixedRate(input: ClearInput, members: readonly string[]): void {
  if (!input.fixedRate || members.length === 0) return;
  const designated = new Set(members);
  input.fixedRate.members = [...designated];
  // As ordersFromMeteredEnergy does for designated categories: they always accept their rate.
  for (const order of input.orders)
    if (order.side === 'buy' && designated.has(order.member))
      order.price = Math.max(order.price, input.fixedRate.price);
}

export interface SettingsFindings {
  /** What makes the settings wrong: the file would be refused. */
  problems: Problem[];
  /** What is allowed but probably not meant: a setting the mechanism ignores, a typo'd key. */
  warnings: Problem[];
}

/**
 * The checks of a site's market block that the schema cannot make: member ids against the site's
 * members, and settings the effective mechanism ignores. Paths start at `market`.
 */
export function marketSettingsFindings(site: SiteFile): SettingsFindings {
  const problems: Problem[] = [];
  const warnings: Problem[] = [];
  const settings = site.market;
  const members = new Map(site.members.map((m) => [m.id, m]));
  const market = effectiveMarket(settings);
  const { preset } = market;
  const base = marketPresets[settings.preset];

  // Unknown keys never get here: the site schema refuses them with their path.
  (settings.fixedRate?.members ?? []).forEach((id, i) => {
    if (!members.has(id))
      problems.push({ path: `market.fixedRate.members[${i}]`, message: `unknown member '${id}'` });
  });
  if (settings.fixedRate && preset.mechanism !== 'fixed-rate')
    warnings.push({
      path: 'market.fixedRate',
      message: `used only by the 'fixed-rate' mechanism; this market clears by '${preset.mechanism}'`,
    });
  else if (
    preset.mechanism === 'fixed-rate' &&
    !preset.fixedRate?.categories.length &&
    !market.designatedMembers.length
  )
    warnings.push({
      path: 'market.fixedRate',
      message: 'no category or member is designated: nobody is served at the fixed rate',
    });
  if (settings.community && !['community', 'hybrid', 'price-match'].includes(preset.mechanism))
    warnings.push({
      path: 'market.community',
      message: `used only by the 'community', 'hybrid' and 'price-match' mechanisms; this market clears by '${preset.mechanism}'`,
    });

  for (const [id, terms] of Object.entries(settings.members ?? {})) {
    const at = `market.members.${id}`;
    const member = members.get(id);
    if (!member) {
      problems.push({ path: at, message: `unknown member '${id}'; the keys are members' ids` });
      continue;
    }
    if (terms.offerPricePerKWh !== undefined && !base.pricing.producersSetPrices)
      warnings.push({
        path: `${at}.offerPricePerKWh`,
        message: `ignored: in preset '${base.id}' producers do not set their own prices`,
      });
    if (
      terms.offerPricePerKWh !== undefined &&
      terms.bidPricePerKWh !== undefined &&
      terms.bidPricePerKWh < terms.offerPricePerKWh
    )
      warnings.push({
        path: `${at}.bidPricePerKWh`,
        message: `below the member's own offer (${terms.offerPricePerKWh}); it buys for less than it sells`,
      });
    const preferences = terms.preferences;
    if (!preferences) continue;
    if (!preferenceMechanisms.has(preset.mechanism))
      warnings.push({
        path: `${at}.preferences`,
        message: `used only by the 'price-match' and 'hybrid' mechanisms; this market clears by '${preset.mechanism}'`,
      });
    const listed = new Map<string, number>();
    (preferences.producers ?? []).forEach((producer, i) => {
      const path = `${at}.preferences.producers[${i}]`;
      const earlier = listed.get(producer);
      if (earlier !== undefined)
        problems.push({ path, message: `'${producer}' is listed twice (also producers[${earlier}])` });
      else listed.set(producer, i);
      const other = members.get(producer);
      if (!other) problems.push({ path, message: `unknown member '${producer}'` });
      else if (producer === id) problems.push({ path, message: 'a member cannot prefer itself' });
      else if (other.pvKWp === 0)
        warnings.push({ path, message: `member '${producer}' has no PV and rarely has energy to sell` });
    });
  }
  return { problems, warnings };
}
