// Seeded random order books and radial networks for the market's property, optimality and speed
// tests. Prices and energies are rounded so that ties (equal prices) occur and get exercised.
import type { ClearInput, Mechanism, Order } from '../../../shared/market/index.ts';

/** mulberry32: small, fast and good enough to spread test cases; the seed makes a case repeatable. */
export function prng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface RandomMarketOptions {
  orders: number;
  /** Buses besides the root; 0 for no network. */
  buses: number;
  mechanism?: Mechanism;
  /** Branch capacities small enough to bind often. */
  tight?: boolean;
  /** Price step (currency/kWh); coarse steps make many ties. */
  priceStep?: number;
  /** Added to every price: a negative shift gives negative offers and bids, as in a glut. */
  priceShift?: number;
}

export function randomMarket(seed: number, options: RandomMarketOptions): ClearInput {
  const random = prng(seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  const buses = ['pcc', ...Array.from({ length: options.buses }, (_, i) => `b${i + 1}`)];
  const step = options.priceStep ?? 0.005;
  const orders: Order[] = Array.from({ length: options.orders }, (_, i) => {
    const side = random() < 0.5 ? 'sell' : 'buy';
    const price =
      Math.round((side === 'sell' ? 0.02 + random() * 0.25 : 0.06 + random() * 0.3) / step) * step;
    const order: Order = {
      id: `o${String(i).padStart(4, '0')}`,
      member: `m${Math.floor(random() * options.orders * 0.7)}`,
      side,
      energyKWh: Math.round((0.05 + random() * 4) * 1000) / 1000,
      price: Math.round((price + (options.priceShift ?? 0)) * 1e6) / 1e6,
    };
    if (options.buses > 0 && random() < 0.9) order.bus = pick(buses);
    return order;
  });
  const input: ClearInput = {
    mechanism: options.mechanism ?? 'uniform',
    interval: { start: '2026-06-01T12:00:00Z', minutes: 15 },
    orders,
  };
  if (random() < 0.8) input.grid = { importPrice: 0.3, exportPrice: 0.05 };
  if (options.buses > 0) {
    input.network = {
      root: 'pcc',
      branches: buses.slice(1).map((bus, i) => {
        const branch: NonNullable<ClearInput['network']>['branches'][number] = {
          id: `l${i + 1}`,
          from: buses[Math.floor(random() * (i + 1))]!,
          to: bus,
          lengthKm: Math.round(random() * 20) / 10,
        };
        if (random() < 0.8)
          branch.capacityKW = Math.round((options.tight ? random() * 12 : 5 + random() * 60) * 10) / 10;
        return branch;
      }),
    };
  }
  return input;
}

/**
 * The speed test's village: `perSide` buy and sell orders on three feeders of ten buses each, a
 * solar feeder that exports, a residential feeder that imports, and a mixed one, with feeder
 * capacities that bind.
 */
export function feederMarket(perSide: number, seed = 1): ClearInput {
  const random = prng(seed);
  const feeders = ['solar', 'homes', 'mixed'];
  const branches = feeders.flatMap((feeder) => [
    { id: `${feeder}-feeder`, from: 'pcc', to: `${feeder}-0`, capacityKW: 400 },
    ...Array.from({ length: 9 }, (_, k) => ({
      id: `${feeder}-${k + 1}`,
      from: `${feeder}-${k}`,
      to: `${feeder}-${k + 1}`,
    })),
  ]);
  const sellShare = { solar: 0.6, homes: 0.1, mixed: 0.3 };
  const buyShare = { solar: 0.1, homes: 0.6, mixed: 0.3 };
  const orders: Order[] = [];
  const place = (shares: Record<string, number>) => {
    const r = random();
    const feeder = r < shares.solar! ? 'solar' : r < shares.solar! + shares.homes! ? 'homes' : 'mixed';
    return `${feeder}-${Math.floor(random() * 10)}`;
  };
  for (let i = 0; i < perSide; i++) {
    orders.push({
      id: `s${i}`,
      member: `m${i}`,
      side: 'sell',
      energyKWh: Math.round((0.05 + random() * 2) * 1000) / 1000,
      price: Math.round((0.03 + random() * 0.2) * 1e4) / 1e4,
      bus: place(sellShare),
    });
    orders.push({
      id: `b${i}`,
      member: `m${perSide + i}`,
      side: 'buy',
      energyKWh: Math.round((0.05 + random() * 2) * 1000) / 1000,
      price: Math.round((0.08 + random() * 0.22) * 1e4) / 1e4,
      bus: place(buyShare),
    });
  }
  return {
    mechanism: 'uniform',
    interval: { start: '2026-06-01T12:00:00Z', minutes: 15 },
    grid: { importPrice: 0.3, exportPrice: 0.05 },
    orders,
    network: { root: 'pcc', branches },
  };
}

export function shuffled<T>(items: readonly T[], seed: number): T[] {
  const random = prng(seed);
  const copy = items.slice();
  for (let i = copy.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [copy[i], copy[j]] = [copy[j]!, copy[i]!];
  }
  return copy;
}
