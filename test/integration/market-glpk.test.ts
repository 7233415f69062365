// Optimality of the market engine: on random order books, with and without binding branch
// limits, the welfare of `clearMarket` equals the optimum glpsol finds for the same problem.
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { clearMarket, type ClearInput } from '../../shared/market/index.ts';
import { GLPSOL, solveWithGlpsol, welfareLp } from '../bench/glpsol.ts';
import { randomMarket } from '../fixtures/random-market.ts';

function expectOptimal(input: ClearInput): void {
  const engine = clearMarket(input).welfare;
  const optimum = solveWithGlpsol(welfareLp(input)).welfare;
  expect(Math.abs(engine - optimum), `engine ${engine} vs glpsol ${optimum}`).toBeLessThanOrEqual(
    1e-6 * Math.max(Math.abs(optimum), 1e-3),
  );
}

describe('market welfare against glpsol', () => {
  it('finds glpsol (CI installs glpk-utils)', () => {
    expect(existsSync(GLPSOL), `${GLPSOL} is missing: install it with apt-get install glpk-utils`).toBe(true);
  });

  for (const mechanism of ['uniform', 'pay-as-bid'] as const) {
    it(`${mechanism}: matches the optimum without a network`, () => {
      for (let seed = 1; seed <= 25; seed++)
        expectOptimal(randomMarket(seed, { orders: 5 + seed * 8, buses: 0, mechanism }));
    });

    it(`${mechanism}: matches the optimum with loose branch limits`, () => {
      for (let seed = 100; seed < 125; seed++)
        expectOptimal(randomMarket(seed, { orders: 20 + seed, buses: 1 + (seed % 12), mechanism }));
    });

    it(`${mechanism}: matches the optimum with tight branch limits`, () => {
      for (let seed = 200; seed < 240; seed++)
        expectOptimal(
          randomMarket(seed, {
            orders: 10 + (seed % 50) * 4,
            buses: 1 + (seed % 20),
            mechanism,
            tight: true,
          }),
        );
    });

    it(`${mechanism}: matches the optimum with coarse prices (many ties)`, () => {
      for (let seed = 300; seed < 320; seed++)
        expectOptimal(randomMarket(seed, { orders: 60, buses: 6, mechanism, tight: true, priceStep: 0.05 }));
    });
  }

  it('matches the optimum with negative prices', () => {
    for (let seed = 400; seed < 420; seed++)
      expectOptimal(randomMarket(seed, { orders: 100, buses: 8, tight: seed % 2 === 0, priceShift: -0.15 }));
  });

  it('matches the optimum on a 2,000-order instance with three limited feeders', () => {
    expectOptimal(randomMarket(7, { orders: 2000, buses: 30, tight: true }));
  });
});
