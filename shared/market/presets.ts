// One preset per platform in the review (Shan et al., "A Case Study of Existing Peer-to-Peer
// Energy Trading Platforms", Sustainability 2023, 15, 16284; Section 3 and Table 2), as plain
// data: the mechanism that reproduces the platform's market as the paper describes it, how
// members' orders are priced, the fees, the fallback and the sharing rule. Figures the paper
// does not give (network fees, the operator's share, the fixed rate) are ours and say so.
import type { AuctionMechanism, FeeSettings, Mechanism, SharingRule } from './clear-input.ts';

export const presetIds = [
  'piclo',
  'vandebron',
  'sonnen',
  'suncontract',
  'brooklyn',
  'powerledger',
  'powerpeers',
  'brazil-community',
] as const;
export type PresetId = (typeof presetIds)[number];

/**
 * A price set from the interval's grid tariff: a fixed amount, or a point between the export
 * price (0) and the import price (1) — the band in which local trade beats the grid for both.
 */
export type PriceRule = { perKWh: number } | { gridSpreadFraction: number };

export interface MarketPreset {
  id: PresetId;
  platform: string;
  country: string;
  since: number;
  /** Table 2: full, community-based or hybrid market. */
  marketModel: 'full market' | 'community-based market' | 'hybrid market';
  /** Table 2's price mechanism, verbatim. */
  priceMechanism: string;
  /** What the paper says of the platform's market, quoted. */
  description: string;
  mechanism: Mechanism;
  pricing: {
    /** A seller's offer when the member sets none. */
    offer: PriceRule;
    /** A buyer's bid when the member sets none. */
    bid: PriceRule;
    /** Producers set their own prices: a member's own offer replaces the rule. */
    producersSetPrices: boolean;
  };
  /** Buyers' producer choices: their own lists, or the nearest producers within a radius. */
  preferences: { kind: 'none' } | { kind: 'member-lists' } | { kind: 'nearest'; radiusKm: number };
  fixedRate?: { price: PriceRule; categories: string[]; rest: AuctionMechanism };
  community?: { price: PriceRule; sharing: SharingRule };
  hybridRest?: AuctionMechanism;
  fees: FeeSettings;
  /** 'grid': unmatched energy goes to the grid at the tariff; 'none': the community is isolated. */
  fallback: 'grid' | 'none';
}

const atExport: PriceRule = { gridSpreadFraction: 0 };
const atImport: PriceRule = { gridSpreadFraction: 1 };
const midway: PriceRule = { gridSpreadFraction: 0.5 };

export const marketPresets: Record<PresetId, MarketPreset> = {
  piclo: {
    id: 'piclo',
    platform: 'Piclo',
    country: 'UK',
    since: 2015,
    marketModel: 'full market',
    priceMechanism: 'Pay-as-bid- competed auction',
    description:
      'Piclo "employs advanced algorithms to match user demand to a close-by generator based on preferences and ' +
      'locations"; network costs are recovered through DUoS charges that vary "according to location and time of ' +
      'day", with "discounted rates ... applied for demand–supply matches". Subscription is free.',
    mechanism: 'price-match',
    pricing: { offer: { gridSpreadFraction: 0.3 }, bid: atImport, producersSetPrices: true },
    preferences: { kind: 'nearest', radiusKm: 50 },
    // Our figures for a discounted local DUoS that grows with distance; free to join.
    fees: { networkPerKWh: 0.01, networkPerKWhPerKm: 0.01, payer: 'buyer' },
    fallback: 'grid',
  },
  vandebron: {
    id: 'vandebron',
    platform: 'Vandebron',
    country: 'Netherlands',
    since: 2014,
    marketModel: 'full market',
    priceMechanism: 'Pay-as-bid price match',
    description:
      'At Vandebron "energy producers are free to establish their own prices, while the customers can select ' +
      'which producer to use"; it supplies customers "at a flat rate of USD 12".',
    mechanism: 'price-match',
    pricing: { offer: { gridSpreadFraction: 0.4 }, bid: atImport, producersSetPrices: true },
    preferences: { kind: 'member-lists' },
    fees: { communityPerMonth: 12 },
    fallback: 'grid',
  },
  sonnen: {
    id: 'sonnen',
    platform: 'sonnenCommunity',
    country: 'Germany',
    since: 2016,
    marketModel: 'community-based market',
    priceMechanism: 'Fixed rate',
    description:
      'The sonnenCommunity uses "a central software connecting and keeping track of all community members to ' +
      'achieve an equilibrium between the supply and demand"; excess energy "is stored in a virtual energy pool ' +
      'that other members can use". "Prosumers earn 23 cents for every kWh, and platform subscription costs ' +
      'EUR 19.99 monthly, without any transaction fees".',
    mechanism: 'community',
    pricing: { offer: atExport, bid: atImport, producersSetPrices: false },
    preferences: { kind: 'none' },
    community: { price: { perKWh: 0.23 }, sharing: 'pro-rata' },
    fees: { communityPerMonth: 19.99 },
    fallback: 'grid',
  },
  suncontract: {
    id: 'suncontract',
    platform: 'SunContract',
    country: 'Slovenia',
    since: 2018,
    marketModel: 'full market',
    priceMechanism: 'Pay as bid',
    description:
      'SunContract "permits energy producers to set the sale price for their excess energy as well as double ' +
      'auction bids on the marketplace for consumer orders"; customers "choose the price they are financially and ' +
      'environmentally willing to pay".',
    mechanism: 'pay-as-bid',
    pricing: {
      offer: { gridSpreadFraction: 0.25 },
      bid: { gridSpreadFraction: 0.85 },
      producersSetPrices: true,
    },
    preferences: { kind: 'none' },
    fees: {},
    fallback: 'grid',
  },
  brooklyn: {
    id: 'brooklyn',
    platform: 'Brooklyn Microgrid',
    country: 'USA',
    since: 2017,
    marketModel: 'full market',
    priceMechanism: 'Pay as bid/fixed rate (e.g., hospital)',
    description:
      'The Brooklyn Microgrid adopts "a double-auction mechanism ... so that essential infrastructure (for ' +
      'example, hospitals) can obtain energy at fixed rates, while residential and commercial units are required ' +
      'to bid on the rest of the available energy"; its revenue includes "commissions from energy trading".',
    mechanism: 'fixed-rate',
    pricing: {
      offer: { gridSpreadFraction: 0.2 },
      bid: { gridSpreadFraction: 0.9 },
      producersSetPrices: true,
    },
    preferences: { kind: 'none' },
    // The fixed rate and the commission are ours: the paper gives neither figure.
    fixedRate: { price: midway, categories: ['essential'], rest: 'pay-as-bid' },
    fees: { communityPerKWh: 0.005, payer: 'split' },
    fallback: 'grid',
  },
  powerledger: {
    id: 'powerledger',
    platform: 'Power Ledger',
    country: 'Australia',
    since: 2016,
    marketModel: 'hybrid market',
    priceMechanism: 'Pay as bid',
    description:
      'Power Ledger lets units "share their excess energy at their desired price"; "energy trading across the ' +
      'distribution network requires giving a portion of profits to distribution system operators". Its hybrid ' +
      'market "can facilitate direct trading among DERs whilst also making energy use and demand at the ' +
      'community level more sustainable".',
    mechanism: 'hybrid',
    pricing: { offer: { gridSpreadFraction: 0.3 }, bid: atImport, producersSetPrices: true },
    preferences: { kind: 'member-lists' },
    community: { price: midway, sharing: 'pro-rata' },
    hybridRest: 'pay-as-bid',
    // The operator's share is ours: the paper says "a portion".
    fees: { dsoShare: 0.1 },
    fallback: 'grid',
  },
  powerpeers: {
    id: 'powerpeers',
    platform: 'Vattenfall Powerpeers',
    country: 'Netherlands',
    since: 2016,
    marketModel: 'hybrid market',
    priceMechanism: 'Pay-as-bid price match',
    description:
      'Powerpeers lets customers "choose their personal supply mix from up to ten distinct sources"; households ' +
      '"sell their self-generated renewable energy at their desired price" and "pay for network connection and ' +
      'use"; subscribers trade "for a monthly fee".',
    mechanism: 'hybrid',
    pricing: { offer: { gridSpreadFraction: 0.35 }, bid: atImport, producersSetPrices: true },
    preferences: { kind: 'member-lists' },
    community: { price: midway, sharing: 'pro-rata' },
    hybridRest: 'pay-as-bid',
    // Our figures for the monthly fee and network use; the paper gives none.
    fees: { networkPerKWh: 0.02, communityPerMonth: 5, payer: 'buyer' },
    fallback: 'grid',
  },
  'brazil-community': {
    id: 'brazil-community',
    platform: 'Brazilian Energy Communities',
    country: 'Brazil',
    since: 2021,
    marketModel: 'community-based market',
    priceMechanism: 'Local-economy- driven price match',
    description:
      'Brazilian energy communities are "characterised by ... communal energy pools, where excess energy ' +
      'generated by individual members ... is stored for communal use", often "in rural and isolated regions, ' +
      'with an emphasis on self-sufficiency"; their pricing "ensures an equitable distribution of benefits among ' +
      'community members".',
    mechanism: 'community',
    pricing: { offer: atExport, bid: atImport, producersSetPrices: false },
    preferences: { kind: 'none' },
    community: { price: { gridSpreadFraction: 0.4 }, sharing: 'equal' },
    fees: {},
    fallback: 'none',
  },
};

/** A price rule's value for an interval's grid tariff. */
export function priceFrom(rule: PriceRule, tariff: { importPrice: number; exportPrice: number }): number {
  if ('perKWh' in rule) return rule.perKWh;
  return tariff.exportPrice + rule.gridSpreadFraction * (tariff.importPrice - tariff.exportPrice);
}
