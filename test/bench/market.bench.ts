// Clearing speed: 10,000 buy and 10,000 sell orders by uniform and by pay-as-bid, without a
// network and with three feeders' capacity limits, against glpsol on the same limited instance.
// Sizes and rounds can be lowered for a smoke run: MARKET_BENCH_PER_SIDE, MARKET_BENCH_RUNS.
import { clearMarket, parseClearInput, type ClearInput } from '../../shared/market/index.ts';
import { glpsolStartMs, solveWithGlpsol, welfareLp } from './glpsol.ts';
import { feederMarket } from '../fixtures/random-market.ts';

const PER_SIDE = Number(process.env.MARKET_BENCH_PER_SIDE ?? 10_000);
const RUNS = Number(process.env.MARKET_BENCH_RUNS ?? 15);
const GLPSOL_RUNS = Number(process.env.MARKET_BENCH_GLPSOL_RUNS ?? 3);

interface Timing {
  medianMs: number;
  minMs: number;
}

const median = (samples: number[]) => [...samples].sort((a, b) => a - b)[Math.floor(samples.length / 2)]!;

/**
 * Times candidates like with like: each is warmed up (three runs) before any is timed, then every
 * round times each candidate once, in an order that rotates per round, so a machine that slows
 * down (other engineers' jobs, thermal limits) slows every candidate alike instead of the last.
 */
function alternating<K extends string>(
  candidates: Record<K, () => unknown>,
  rounds = RUNS,
): Record<K, Timing> {
  const names = Object.keys(candidates) as K[];
  for (const name of names) for (let i = 0; i < 3; i++) candidates[name]();
  const samples = Object.fromEntries(names.map((n) => [n, [] as number[]])) as Record<K, number[]>;
  for (let round = 0; round < rounds; round++) {
    for (let j = 0; j < names.length; j++) {
      const name = names[(round + j) % names.length]!;
      const started = performance.now();
      candidates[name]();
      samples[name].push(performance.now() - started);
    }
  }
  return Object.fromEntries(
    names.map((n) => [n, { medianMs: round2(median(samples[n])), minMs: round2(Math.min(...samples[n])) }]),
  ) as Record<K, Timing>;
}

const round2 = (ms: number) => Math.round(ms * 100) / 100;

/**
 * glpsol's solve time apart from its process start: rounds alternate a trivial LP (start and file
 * I/O only) with the real one after one warm-up of each (binary and libraries in the page cache);
 * the solve is the median real wall time less the median start.
 */
function glpsolTimes(lp: string): {
  welfare: number;
  wallMs: number;
  startMs: number;
  solveMs: number;
  reportedMs: number | null;
} {
  glpsolStartMs();
  let result = solveWithGlpsol(lp);
  const walls: number[] = [];
  const starts: number[] = [];
  for (let i = 0; i < GLPSOL_RUNS; i++) {
    starts.push(glpsolStartMs());
    result = solveWithGlpsol(lp);
    walls.push(result.wallMs);
  }
  const wallMs = median(walls);
  const startMs = median(starts);
  return {
    welfare: result.welfare,
    wallMs: round2(wallMs),
    startMs: round2(startMs),
    solveMs: round2(Math.max(0, wallMs - startMs)),
    reportedMs: result.reportedMs,
  };
}

export default async function bench(): Promise<Record<string, unknown>> {
  const limited = feederMarket(PER_SIDE);
  const free: ClearInput = {
    ...limited,
    network: undefined,
    orders: limited.orders.map(({ bus: _bus, ...o }) => o),
  };
  const validation = alternating({ validate: () => parseClearInput(limited) }).validate;

  const t = alternating({
    uniform: () => clearMarket({ ...free, mechanism: 'uniform' }),
    payAsBid: () => clearMarket({ ...free, mechanism: 'pay-as-bid' }),
    uniformLimited: () => clearMarket({ ...limited, mechanism: 'uniform' }),
    payAsBidLimited: () => clearMarket({ ...limited, mechanism: 'pay-as-bid' }),
  });

  const engine = clearMarket(limited);
  const lpStarted = performance.now();
  const lp = welfareLp(limited);
  const lpWriteMs = performance.now() - lpStarted;
  const glpk = glpsolTimes(lp);
  const freeGlpk = glpsolTimes(welfareLp(free));
  const bindingBranches = engine.branches.filter(
    (b) => b.limitKWh !== null && Math.abs(b.energyKWh) >= b.limitKWh - 1e-6,
  ).length;

  return {
    orders: limited.orders.length,
    goalMs: 20,
    validateMs: validation.medianMs,
    uniformMs: t.uniform.medianMs,
    payAsBidMs: t.payAsBid.medianMs,
    uniformLimitedMs: t.uniformLimited.medianMs,
    payAsBidLimitedMs: t.payAsBidLimited.medianMs,
    fastestMs: {
      uniform: t.uniform.minMs,
      payAsBid: t.payAsBid.minMs,
      uniformLimited: t.uniformLimited.minMs,
      payAsBidLimited: t.payAsBidLimited.minMs,
    },
    bindingBranches,
    zones: engine.zones.length,
    glpsol: glpk,
    glpsolUnlimited: freeGlpk,
    lpWriteMs: round2(lpWriteMs),
    // Solver against solver: glpsol's solve without its process start, over the warm engine.
    glpsolSolveOverEngine: round2(glpk.solveMs / t.uniformLimited.medianMs),
    welfareRelativeGap: Math.abs(engine.welfare - glpk.welfare) / Math.abs(glpk.welfare),
    unlimitedWelfareRelativeGap:
      Math.abs(clearMarket(free).welfare - freeGlpk.welfare) / Math.abs(freeGlpk.welfare),
  };
}
