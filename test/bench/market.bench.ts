// Clearing speed: 10,000 buy and 10,000 sell orders by uniform and by pay-as-bid, without a
// network and with three feeders' capacity limits, against glpsol on the same limited instance.
import { clearMarket, parseClearInput, type ClearInput } from '../../shared/market/index.ts';
import { solveWithGlpsol, welfareLp } from './glpsol.ts';
import { feederMarket } from '../unit/market/random-market.ts';

const PER_SIDE = 10_000;
const RUNS = 15;

/** Median and fastest of RUNS timed runs after three warm-up runs (ms). */
function time(run: () => unknown): { medianMs: number; minMs: number } {
  for (let i = 0; i < 3; i++) run();
  const samples: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const started = performance.now();
    run();
    samples.push(performance.now() - started);
  }
  samples.sort((a, b) => a - b);
  return { medianMs: round(samples[Math.floor(RUNS / 2)]!), minMs: round(samples[0]!) };
}

const round = (ms: number) => Math.round(ms * 100) / 100;

export default async function bench(): Promise<Record<string, unknown>> {
  const limited = feederMarket(PER_SIDE);
  const free: ClearInput = {
    ...limited,
    network: undefined,
    orders: limited.orders.map(({ bus: _bus, ...o }) => o),
  };
  const validation = time(() => parseClearInput(limited));

  const uniform = time(() => clearMarket({ ...free, mechanism: 'uniform' }));
  const payAsBid = time(() => clearMarket({ ...free, mechanism: 'pay-as-bid' }));
  const uniformLimited = time(() => clearMarket({ ...limited, mechanism: 'uniform' }));
  const payAsBidLimited = time(() => clearMarket({ ...limited, mechanism: 'pay-as-bid' }));

  const engine = clearMarket(limited);
  const lpStarted = performance.now();
  const lp = welfareLp(limited);
  const lpWriteMs = performance.now() - lpStarted;
  const glpk = solveWithGlpsol(lp);
  const freeGlpk = solveWithGlpsol(welfareLp(free));
  const bindingBranches = engine.branches.filter(
    (b) => b.limitKWh !== null && Math.abs(b.energyKWh) >= b.limitKWh - 1e-6,
  ).length;

  return {
    orders: limited.orders.length,
    goalMs: 20,
    validateMs: validation.medianMs,
    uniformMs: uniform.medianMs,
    payAsBidMs: payAsBid.medianMs,
    uniformLimitedMs: uniformLimited.medianMs,
    payAsBidLimitedMs: payAsBidLimited.medianMs,
    fastestMs: {
      uniform: uniform.minMs,
      payAsBid: payAsBid.minMs,
      uniformLimited: uniformLimited.minMs,
      payAsBidLimited: payAsBidLimited.minMs,
    },
    bindingBranches,
    zones: engine.zones.length,
    glpsolMs: round(glpk.solveMs),
    glpsolUnlimitedMs: round(freeGlpk.solveMs),
    lpWriteMs: round(lpWriteMs),
    glpsolOverEngine: round(glpk.solveMs / uniformLimited.medianMs),
    welfareRelativeGap: Math.abs(engine.welfare - glpk.welfare) / Math.abs(glpk.welfare),
    unlimitedWelfareRelativeGap:
      Math.abs(clearMarket(free).welfare - freeGlpk.welfare) / Math.abs(freeGlpk.welfare),
  };
}
