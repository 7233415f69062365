// The market's interchange format: one settlement interval's order book, grid fallback, radial
// network and mechanism settings, as read by `commonwatt clear` and built by the console.
// Prices are in the site's currency per kWh; energies in kWh over the interval.
import { z } from 'zod';
import { check, type Checked, type Problem } from '../validation/problems.ts';

const name = z.string().min(1, 'must not be empty');
const price = z.number();

export const auctionMechanisms = ['uniform', 'pay-as-bid'] as const;
export const mechanisms = [...auctionMechanisms, 'fixed-rate', 'price-match', 'community', 'hybrid'] as const;
export const sharingRules = ['pro-rata', 'priority', 'equal'] as const;
export const feePayers = ['buyer', 'seller', 'split'] as const;

export const preferencesSchema = z.strictObject({
  /** Preferred producers (member ids), best first, as Powerpeers' "up to ten distinct sources". */
  producers: z.array(name).max(10, 'at most 10 preferred producers').optional(),
  /** Acceptable energy types (e.g. solar, wind); absent means any. */
  energyTypes: z.array(name).optional(),
  /** Farthest producer accepted, along the network's branches. */
  maxDistanceKm: z.number().nonnegative().optional(),
});

export const orderSchema = z.strictObject({
  id: name,
  member: name,
  side: z.enum(['buy', 'sell']),
  energyKWh: z.number().nonnegative(),
  /** Limit price: the least a seller accepts, the most a buyer pays (currency/kWh). */
  price,
  /** Network bus; an order without one stands at the root. */
  bus: name.optional(),
  category: name.optional(),
  /** Community sharing by priority: lower tiers are served first (0 before 1); no tier comes last. */
  priorityTier: z.number().int().nonnegative().optional(),
  /** What a sell order's energy is, for buyers who choose by type. */
  energyType: name.optional(),
  preferences: preferencesSchema.optional(),
});

export const branchSchema = z.strictObject({
  id: name,
  /** Parent bus, nearer the root. */
  from: name,
  /** Child bus. */
  to: name,
  /** Absent means the branch never limits trades. */
  capacityKW: z.number().nonnegative().optional(),
  lengthKm: z.number().nonnegative().optional(),
});

export const networkSchema = z.strictObject({ root: name, branches: z.array(branchSchema) });

export const gridSchema = z.strictObject({ importPrice: price, exportPrice: price });

export const fixedRateSchema = z.strictObject({
  price,
  members: z.array(name).optional(),
  categories: z.array(name).optional(),
  /** How the energy left after the designated buyers is cleared; uniform by default. */
  rest: z.enum(auctionMechanisms).optional(),
});

export const communitySchema = z.strictObject({
  /** The pool's price, paid by members who draw from it and paid to members who feed it. */
  price,
  sharing: z.enum(sharingRules).optional(),
});

export const hybridSchema = z.strictObject({
  /** How orders left after bilateral matches and the pool are cleared; pay-as-bid by default. */
  rest: z.enum(auctionMechanisms).optional(),
});

export const feesSchema = z.strictObject({
  networkPerKWh: z.number().nonnegative().optional(),
  /** Added to networkPerKWh for each km between seller's and buyer's buses. */
  networkPerKWhPerKm: z.number().nonnegative().optional(),
  communityPerKWh: z.number().nonnegative().optional(),
  communityPerMonth: z.number().nonnegative().optional(),
  /** Fraction of each local trade's value passed to the distribution operator. */
  dsoShare: z.number().min(0).max(1).optional(),
  /** Who pays the per-kWh fees; the buyer by default. */
  payer: z.enum(feePayers).optional(),
});

export const clearInputSchema = z.strictObject({
  mechanism: z.enum(mechanisms),
  interval: z.strictObject({
    start: z.iso.datetime({ offset: true }),
    minutes: z.number().positive().max(1440),
  }),
  /** Absent when the site is islanded or off-grid: unmatched energy is then unserved or curtailed. */
  grid: gridSchema.optional(),
  orders: z.array(orderSchema),
  network: networkSchema.optional(),
  fixedRate: fixedRateSchema.optional(),
  community: communitySchema.optional(),
  hybrid: hybridSchema.optional(),
  fees: feesSchema.optional(),
  /** Every member of the community, for the monthly fee; absent means those with orders. */
  members: z.array(name).optional(),
});

export type Mechanism = (typeof mechanisms)[number];
export type AuctionMechanism = (typeof auctionMechanisms)[number];
export type SharingRule = (typeof sharingRules)[number];
export type Order = z.infer<typeof orderSchema>;
export type Branch = z.infer<typeof branchSchema>;
export type NetworkInput = z.infer<typeof networkSchema>;
export type GridTariff = z.infer<typeof gridSchema>;
export type FixedRateSettings = z.infer<typeof fixedRateSchema>;
export type CommunitySettings = z.infer<typeof communitySchema>;
export type FeeSettings = z.infer<typeof feesSchema>;
export type ClearInput = z.infer<typeof clearInputSchema>;

/**
 * Validates an order file's content: the schema, then what spans fields (duplicate ids, unknown
 * buses, loops). The cross-field checks also run on the parts that pass the schema when other
 * parts fail, so one run lists every problem.
 */
export function parseClearInput(raw: unknown): Checked<ClearInput> {
  const parsed = check(clearInputSchema, raw);
  const problems = parsed.ok ? [] : parsed.problems;
  problems.push(...crossFieldProblems(parsed.ok ? parsed.value : salvage(raw)));
  return problems.length ? { ok: false, problems } : parsed;
}

interface CrossFieldView {
  mechanism?: unknown;
  /** Orders that pass their schema, or of those that do not, the id alone when it is a string. */
  orders: Array<(Pick<Order, 'id'> & Partial<Order>) | undefined>;
  network?: NetworkInput | undefined;
  fixedRate?: unknown;
  community?: unknown;
}

/** The parts of an invalid document that pass their own schema. */
function salvage(raw: unknown): CrossFieldView {
  const doc = (typeof raw === 'object' && raw !== null ? raw : {}) as Record<string, unknown>;
  const orders = Array.isArray(doc.orders)
    ? doc.orders.map((o: unknown) => {
        const valid = orderSchema.safeParse(o).data;
        if (valid) return valid;
        const id = typeof o === 'object' && o !== null ? (o as { id?: unknown }).id : undefined;
        return typeof id === 'string' && id !== '' ? { id } : undefined;
      })
    : [];
  const network = networkSchema.safeParse(doc.network).data;
  return { mechanism: doc.mechanism, orders, network, fixedRate: doc.fixedRate, community: doc.community };
}

function crossFieldProblems(input: CrossFieldView): Problem[] {
  const problems: Problem[] = [];
  const firstOrder = new Map<string, number>();
  input.orders.forEach((order, i) => {
    if (!order) return;
    const first = firstOrder.get(order.id);
    if (first === undefined) firstOrder.set(order.id, i);
    else
      problems.push({
        path: `orders[${i}].id`,
        message: `duplicate order id '${order.id}' (first at orders[${first}])`,
      });
    if (order.side === 'buy' && order.energyType !== undefined)
      problems.push({ path: `orders[${i}].energyType`, message: 'only sell orders carry an energy type' });
    if (order.side === 'sell' && order.preferences !== undefined)
      problems.push({
        path: `orders[${i}].preferences`,
        message: 'only buy orders carry producer preferences',
      });
  });
  if (input.network) {
    const buses = networkProblems(input.network, problems);
    input.orders.forEach((order, i) => {
      if (order?.bus !== undefined && !buses.has(order.bus))
        problems.push({
          path: `orders[${i}].bus`,
          message: `unknown bus '${order.bus}'; buses are the network root and each branch's 'to'`,
        });
    });
  }
  const needs: Array<[Mechanism, 'fixedRate' | 'community']> = [
    ['fixed-rate', 'fixedRate'],
    ['community', 'community'],
    ['hybrid', 'community'],
  ];
  for (const [mechanism, key] of needs) {
    if (input.mechanism === mechanism && input[key] === undefined)
      problems.push({ path: key, message: `required when mechanism is '${mechanism}'` });
  }
  return problems;
}

/** Checks that the branches form one tree hanging from the root; returns the buses. */
function networkProblems(network: NetworkInput, problems: Problem[]): Set<string> {
  const buses = new Set<string>([network.root]);
  const parentBranch = new Map<string, number>();
  const branchIds = new Map<string, number>();
  network.branches.forEach((branch, i) => {
    const seen = branchIds.get(branch.id);
    if (seen !== undefined)
      problems.push({
        path: `network.branches[${i}].id`,
        message: `duplicate branch id '${branch.id}' (first at network.branches[${seen}])`,
      });
    else branchIds.set(branch.id, i);
    if (branch.to === network.root) {
      problems.push({
        path: `network.branches[${i}].to`,
        message: `the root '${network.root}' cannot have a parent branch`,
      });
      return;
    }
    if (branch.from === branch.to) {
      problems.push({
        path: `network.branches[${i}].to`,
        message: `branch '${branch.id}' connects bus '${branch.to}' to itself`,
      });
      return;
    }
    const other = parentBranch.get(branch.to);
    if (other !== undefined) {
      problems.push({
        path: `network.branches[${i}].to`,
        message: `bus '${branch.to}' already has a parent branch (network.branches[${other}]); the network must be radial`,
      });
      return;
    }
    parentBranch.set(branch.to, i);
    buses.add(branch.to);
  });
  // Walk each bus towards the root: a walk that revisits a bus is a loop, one that stops short is cut off.
  const reaches = new Map<string, boolean>([[network.root, true]]);
  for (const [bus, index] of parentBranch) {
    const path: string[] = [];
    const onPath = new Set<string>();
    let at = bus;
    let via = index;
    let verdict: boolean | undefined;
    while (verdict === undefined) {
      const known = reaches.get(at);
      if (known !== undefined) verdict = known;
      else if (onPath.has(at)) {
        verdict = false;
        const loop = [...path.slice(path.indexOf(at)), at].map((b) => `'${b}'`).join(' → ');
        problems.push({
          path: `network.branches[${index}]`,
          message: `branches form a loop through buses ${loop}`,
        });
      } else {
        path.push(at);
        onPath.add(at);
        const next = parentBranch.get(at);
        if (next === undefined) {
          verdict = false;
          problems.push({
            path: `network.branches[${via}].from`,
            message: `bus '${at}' is not connected to the root '${network.root}'`,
          });
        } else {
          via = next;
          at = network.branches[next]!.from;
        }
      }
    }
    for (const b of path) reaches.set(b, verdict);
  }
  return buses;
}
