// The site file, format `commonwatt.site/1`: one JSON document that describes a community
// microgrid — its grid connection, radial topology, members, field devices and tariffs.
// Shape is checked here with zod; cross-references and topology in `validate-site.ts`.
// Every object is strict: an unknown key is an error with its path, never silently dropped, so a
// typo such as `shedRelais` cannot leave the clinic without its shed relay.
import { z } from 'zod';
import {
  auctionMechanisms,
  feesSchema,
  mechanisms,
  preferencesSchema,
  sharingRules,
} from '../market/clear-input.ts';
import { marketPresets, presetIds, type MarketPreset, type PriceRule } from '../market/presets.ts';

const id = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/, 'must be an id of letters, digits, _ . -');
const positive = (unit: string) => z.number().positive(`must be a positive number of ${unit}`);
const nonNegative = (unit: string) => z.number().nonnegative(`must be zero or a positive number of ${unit}`);

/**
 * An IANA time zone (`Europe/Lisbon`, `UTC`): what the runtime's Intl knows, aliases included. A
 * bare offset (`+01:00`) is refused although newer Intl accepts it: it has no daylight-saving rules,
 * and local intervals and tariffs follow the site's clocks.
 */
export function isIanaTimeZone(zone: string): boolean {
  if (/^[+-]/.test(zone)) return false;
  try {
    new Intl.DateTimeFormat('en', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

const timezone = z
  .string()
  .min(1)
  .refine(isIanaTimeZone, { error: 'must be an IANA time zone such as Europe/Lisbon or UTC' });

export const siteInfoSchema = z.strictObject({
  id,
  name: z.string().min(1),
  timezone,
  latitude: z.number().min(-90).max(90),
  longitude: z.number().min(-180).max(180),
  currency: z.string().regex(/^[A-Z]{3}$/, 'must be an ISO 4217 code such as EUR'),
  nominalVoltageV: positive('volts').default(230),
  nominalFrequencyHz: z.union([z.literal(50), z.literal(60)]).default(50),
});

export const gridSchema = z.discriminatedUnion('kind', [
  z.strictObject({
    kind: z.literal('connected'),
    pcc: z.strictObject({
      bus: id,
      meter: id,
      breaker: id,
      ratingKVA: positive('kVA'),
      ratingA: positive('amperes'),
    }),
  }),
  z.strictObject({ kind: z.literal('off-grid') }),
]);

export const busSchema = z.strictObject({
  id,
  name: z.string().min(1).optional(),
  kind: z.enum(['pcc', 'feeder-head', 'node']).default('node'),
});

export const branchSchema = z.strictObject({
  id,
  from: id,
  to: id,
  ratingKVA: positive('kVA'),
  ratingA: positive('amperes'),
  lengthM: nonNegative('metres').optional(),
  /** Meter at the head of this branch (feeder-head meter), when there is one. */
  meter: id.optional(),
});

export const topologySchema = z.strictObject({
  root: id,
  buses: z.array(busSchema).min(1),
  branches: z.array(branchSchema),
});

export const memberCategorySchema = z.enum(['household', 'business', 'essential', 'community']);
export type MemberCategory = z.infer<typeof memberCategorySchema>;

export const loadProfileSchema = z.enum([
  'household-day',
  'household-evening',
  'household-flat',
  'clinic',
  'school',
  'water-pump',
  'shop',
  'none',
]);
export type LoadProfile = z.infer<typeof loadProfileSchema>;

export const memberSchema = z.strictObject({
  id,
  name: z.string().min(1),
  category: memberCategorySchema,
  /** Shedding order: tier 0 is essential and is shed last; higher tiers are shed first. */
  priorityTier: z.number().int().min(0).max(9),
  bus: id,
  meter: id,
  pvKWp: nonNegative('kWp').default(0),
  /** Share of the battery pool's allocatable energy, in percent. */
  poolSharePct: z.number().min(0).max(100).default(0),
  /** Load shape used by the simulator and the forecast. */
  profile: loadProfileSchema.default('household-evening'),
  annualConsumptionKWh: nonNegative('kWh per year').default(0),
  /** Relay that disconnects this member's load when its tier is shed, if fitted. */
  shedRelay: id.optional(),
});
export type Member = z.infer<typeof memberSchema>;

export const endpointSchema = z.strictObject({
  host: z.string().min(1),
  port: z.number().int().min(1).max(65535),
  unitId: z.number().int().min(0).max(255),
});
export type Endpoint = z.infer<typeof endpointSchema>;

export const customPointSchema = z.strictObject({
  name: z.string().min(1),
  address: z.number().int().min(0).max(65535),
  function: z.enum(['holding', 'input']).default('holding'),
  type: z.enum(['int16', 'uint16', 'int32', 'uint32', 'float32']),
  wordOrder: z.enum(['big', 'little']).default('big'),
  scale: z.number().default(1),
  unit: z.string().default(''),
  kind: z.enum(['gauge', 'counter']).default('gauge'),
  /** The canonical quantity this point feeds (powerKW, energyImportKWh, ...), if any. */
  quantity: z.string().optional(),
});
export type CustomPoint = z.infer<typeof customPointSchema>;

export const registerMapSchema = z.discriminatedUnion('type', [
  z.strictObject({
    type: z.literal('sunspec'),
    /** Base address of the SunSpec map; discovered at 40000, 0 and 50000 when absent. */
    base: z.number().int().min(0).max(65535).optional(),
  }),
  z.strictObject({ type: z.literal('custom'), points: z.array(customPointSchema).min(1) }),
]);
export type RegisterMap = z.infer<typeof registerMapSchema>;

export const deviceKindSchema = z.enum([
  'pcc-meter',
  'feeder-meter',
  'member-meter',
  'pcc-breaker',
  'battery-inverter',
  'pv-inverter',
  'shed-relay',
]);
export type DeviceKind = z.infer<typeof deviceKindSchema>;

export const deviceSchema = z.strictObject({
  id,
  name: z.string().min(1).optional(),
  kind: deviceKindSchema,
  endpoint: endpointSchema,
  registerMap: registerMapSchema,
  /** Endpoints behind an RS-485 gateway share one wire: requests to them are serialized. */
  gateway: id.optional(),
  pollPeriodMs: z.number().int().min(100).max(3_600_000).default(1000),
  timeoutMs: z.number().int().min(50).max(60_000).default(2000),
  bus: id.optional(),
  /** Rated power of inverters and batteries, in kW. */
  ratedKW: positive('kW').optional(),
  /** Usable capacity of a battery, in kWh. */
  capacityKWh: positive('kWh').optional(),
  /** Rated PV of an inverter, in kWp. */
  pvKWp: positive('kWp').optional(),
});
export type Device = z.infer<typeof deviceSchema>;

export const gatewaySchema = z.strictObject({
  id,
  name: z.string().min(1).optional(),
  host: z.string().min(1),
  port: z.number().int().min(1).max(65535),
});

const clock = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'must be a time of day HH:MM');

export const tariffPeriodSchema = z.strictObject({
  from: clock,
  to: clock,
  importPricePerKWh: nonNegative('currency per kWh'),
  exportPricePerKWh: nonNegative('currency per kWh'),
});

export const tariffSchema = z.strictObject({
  /** Time-of-use periods in the site's timezone; together they must cover the whole day. */
  periods: z.array(tariffPeriodSchema).min(1),
  gridCO2KgPerKWh: nonNegative('kg CO2 per kWh').default(0.4),
});
export type Tariff = z.infer<typeof tariffSchema>;

export const batteryPoolSchema = z.strictObject({
  inverters: z.array(id).min(1),
  /** Hours of essential-load consumption kept in reserve for islanding; never allocatable. */
  reserveHours: nonNegative('hours').default(4),
});

/**
 * A price set from the interval's grid tariff, as the market presets write it: a fixed amount
 * per kWh, or a point between the export price (0) and the import price (1).
 */
export const priceRuleSchema: z.ZodType<PriceRule> = z.union([
  z.strictObject({ perKWh: z.number() }),
  z.strictObject({
    gridSpreadFraction: z
      .number()
      .min(0, 'must be 0 (the export price) to 1 (the import price)')
      .max(1, 'must be 0 (the export price) to 1 (the import price)'),
  }),
]);

/** A member's standing terms in the market, applied to every interval's order. */
export const memberMarketSchema = z.strictObject({
  /** The least the member sells its surplus for; used where the preset lets producers set prices. */
  offerPricePerKWh: z.number().optional(),
  /** The most the member pays for local energy, instead of the preset's bid. */
  bidPricePerKWh: z.number().optional(),
  /** What the member's surplus is (solar, wind, …), for buyers who choose by type. */
  energyType: z.string().min(1).optional(),
  /** Preferred producers (up to ten, best first), energy types and distance, for price-match and hybrid. */
  preferences: preferencesSchema.optional(),
});
export type MemberMarketSettings = z.infer<typeof memberMarketSchema>;

/** The virtual storage's settings in the market block (read by shared/storage/storage-settings.ts). */
export const virtualStorageSettingsSchema = z
  .object({
    /**
     * sonnenFlat-style allowance: energy each member may draw from the community's part of the
     * pool free of charge per year; what is left at the end of the year is paid back.
     */
    allowance: z
      .object({
        kWhPerYear: z.number().nonnegative(),
        paybackPricePerKWh: z.number().nonnegative(),
        /** Members without a pool share get no allowance unless this is true. */
        includeMembersWithoutShare: z.boolean().default(false),
      })
      .strict()
      .optional(),
    /**
     * One-way efficiency used only to estimate the pool's stored energy when its state of charge
     * was not read; measured SoC always wins.
     */
    oneWayEfficiency: z.number().gt(0).max(1).default(0.95),
  })
  .strict();

/**
 * The community market: one of the platform presets (shared/market/presets.ts) and the site's
 * overrides of it. Every override is optional; absent, the preset's own setting holds. Other
 * parts keep their own blocks here (`virtualStorage`, `settlement`); any other key is an error.
 */
export const marketSettingsSchema = z
  .strictObject({
    preset: z
      .enum(presetIds, { error: `must be one of the platform presets: ${presetIds.join(', ')}` })
      .default('brooklyn'),
    intervalMinutes: z.union([z.literal(5), z.literal(15), z.literal(30), z.literal(60)]).default(15),
    /** Clears with this mechanism instead of the preset's. */
    mechanism: z.enum(mechanisms).optional(),
    /** Prices of members' orders where they set none; the preset's by default. */
    pricing: z
      .strictObject({ offer: priceRuleSchema.optional(), bid: priceRuleSchema.optional() })
      .optional(),
    /** Each fee given here replaces the preset's; the others stay. */
    fees: feesSchema.optional(),
    /** Loads served first at a fixed rate (mechanism 'fixed-rate'), as Brooklyn serves a hospital. */
    fixedRate: z
      .strictObject({
        price: priceRuleSchema.optional(),
        categories: z.array(memberCategorySchema).optional(),
        members: z.array(id).optional(),
        rest: z.enum(auctionMechanisms).optional(),
      })
      .optional(),
    /** The community pool (mechanisms 'community' and 'hybrid', and price-match's fallback). */
    community: z
      .strictObject({ price: priceRuleSchema.optional(), sharing: z.enum(sharingRules).optional() })
      .optional(),
    /** Standing orders and producer preferences, by member id. */
    members: z.record(id, memberMarketSchema).optional(),
    /** The virtual storage's settings (shared/storage/storage-settings.ts). */
    virtualStorage: virtualStorageSettingsSchema.optional(),
    /** When settlement books each interval (electron/market/live-settlement.ts), in seconds/hours. */
    settlement: z
      .strictObject({
        delaySeconds: nonNegative('seconds').optional(),
        lateBoundSeconds: nonNegative('seconds').optional(),
        maxCatchUpHours: positive('hours').optional(),
      })
      .optional(),
  })
  .superRefine((market, ctx) => {
    // A mechanism needs its price from the preset or the override; say which one is missing.
    const preset = marketPresets[market.preset] as MarketPreset | undefined;
    if (!preset) return;
    const mechanism = market.mechanism ?? preset.mechanism;
    if (mechanism === 'fixed-rate' && !preset.fixedRate && market.fixedRate?.price === undefined)
      ctx.addIssue({
        code: 'custom',
        path: ['fixedRate', 'price'],
        message: `required: mechanism 'fixed-rate' needs a fixed rate, and preset '${preset.id}' has none`,
      });
    if (
      (mechanism === 'community' || mechanism === 'hybrid') &&
      !preset.community &&
      market.community?.price === undefined
    )
      ctx.addIssue({
        code: 'custom',
        path: ['community', 'price'],
        message: `required: mechanism '${mechanism}' needs a community pool price, and preset '${preset.id}' has none`,
      });
  });
export type MarketSettings = z.infer<typeof marketSettingsSchema>;

/** An IPv4 network in CIDR notation (`192.168.10.0/24`). */
const ipv4Network = z
  .string()
  .regex(
    /^(25[0-5]|2[0-4]\d|1?\d?\d)(\.(25[0-5]|2[0-4]\d|1?\d?\d)){3}\/(3[0-2]|[12]?\d)$/,
    'must be an IPv4 network such as 192.168.10.0/24',
  );

/** Where technicians may scan and read units beyond the site's own endpoints (admins anywhere). */
export const commissioningSchema = z.strictObject({
  scanNetworks: z.array(ipv4Network).max(64).default([]),
});

export const siteFileSchema = z.strictObject({
  format: z.literal('commonwatt.site/1'),
  site: siteInfoSchema,
  grid: gridSchema,
  topology: topologySchema,
  gateways: z.array(gatewaySchema).default([]),
  devices: z.array(deviceSchema),
  members: z.array(memberSchema),
  batteryPool: batteryPoolSchema.optional(),
  tariff: tariffSchema,
  market: marketSettingsSchema.default({ preset: 'brooklyn', intervalMinutes: 15 }),
  commissioning: commissioningSchema.optional(),
});

export type SiteFile = z.infer<typeof siteFileSchema>;
export type Bus = z.infer<typeof busSchema>;
export type Branch = z.infer<typeof branchSchema>;
export type Topology = z.infer<typeof topologySchema>;
