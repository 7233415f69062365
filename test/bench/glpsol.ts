// The market's welfare problem as a linear program in CPLEX LP format, solved by GLPK's glpsol:
// the independent optimum the engine is checked against. Built from the order file alone.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ClearInput } from '../../shared/market/index.ts';

export const GLPSOL = process.env.GLPSOL ?? '/usr/bin/glpsol';

/**
 * maximise Σ bid·y − Σ offer·x over accepted energies x (sells) and y (buys), with Σx = Σy and,
 * for each branch with a capacity, |Σx − Σy over the orders on buses below it| ≤ capacity × hours.
 */
export function welfareLp(input: ClearInput): string {
  const name = (i: number) => (input.orders[i]!.side === 'sell' ? `x${i}` : `y${i}`);
  const term = (coefficient: number, variable: string) =>
    ` ${coefficient < 0 ? '-' : '+'} ${Math.abs(coefficient)} ${variable}`;
  const lines = ['\\ market welfare', 'Maximize', ' welfare:'];
  input.orders.forEach((order, i) => {
    const coefficient = order.side === 'buy' ? order.price : -order.price;
    if (coefficient !== 0) lines.push(term(coefficient, name(i)));
  });
  if (lines.length === 3) lines.push(' 0 x_none');
  lines.push('Subject To', ' balance:');
  input.orders.forEach((order, i) => lines.push(term(order.side === 'sell' ? 1 : -1, name(i))));
  if (input.orders.length === 0) lines.push(' 0 x_none');
  lines.push(' = 0');
  if (input.network) {
    const parent = new Map(input.network.branches.map((b) => [b.to, b.from]));
    const below = (bus: string, top: string) => {
      for (let at: string | undefined = bus; at !== undefined; at = parent.get(at))
        if (at === top) return true;
      return false;
    };
    const hours = input.interval.minutes / 60;
    input.network.branches.forEach((branch, k) => {
      if (branch.capacityKW === undefined) return;
      const members = input.orders.flatMap((o, i) =>
        below(o.bus ?? input.network!.root, branch.to) ? [i] : [],
      );
      if (members.length === 0) return;
      for (const [label, sense] of [
        ['up', '<='],
        ['down', '>='],
      ] as const) {
        lines.push(` ${label}${k}:`);
        for (const i of members) lines.push(term(input.orders[i]!.side === 'sell' ? 1 : -1, name(i)));
        lines.push(` ${sense} ${sense === '<=' ? '' : '-'}${branch.capacityKW * hours}`);
      }
    });
  }
  lines.push('Bounds');
  input.orders.forEach((order, i) => lines.push(` 0 <= ${name(i)} <= ${order.energyKWh}`));
  lines.push('End', '');
  return lines.join('\n');
}

export interface GlpsolResult {
  welfare: number;
  /** Wall time of the whole glpsol process (ms): its start, reading the LP, solving, writing. */
  wallMs: number;
  /** The solver's own "Time used" line (ms; glpsol prints it to 0.1 s), or null if absent. */
  reportedMs: number | null;
}

function runGlpsol(lp: string): { wallMs: number; stdout: string; solution: string } {
  const dir = mkdtempSync(join(tmpdir(), 'commonwatt-glpk-'));
  try {
    const lpFile = join(dir, 'market.lp');
    const solution = join(dir, 'market.sol');
    writeFileSync(lpFile, lp);
    const started = performance.now();
    const run = spawnSync(GLPSOL, ['--lp', lpFile, '-w', solution], { encoding: 'utf8' });
    const wallMs = performance.now() - started;
    if (run.error)
      throw new Error(
        `cannot run ${GLPSOL} (${run.error.message}); install GLPK's solver: apt-get install glpk-utils`,
      );
    if (run.status !== 0) throw new Error(`glpsol exited ${run.status}:\n${run.stdout}${run.stderr}`);
    return { wallMs, stdout: run.stdout, solution: readFileSync(solution, 'utf8') };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Solves the LP with glpsol; throws with a clear message when glpsol is missing or fails. */
export function solveWithGlpsol(lp: string): GlpsolResult {
  const { wallMs, stdout, solution: text } = runGlpsol(lp);
  if (!/^c Status:\s+OPTIMAL/m.test(text)) throw new Error(`glpsol found no optimum:\n${text.slice(0, 400)}`);
  const line = text.split('\n').find((l) => l.startsWith('s bas'));
  const welfare = Number(line?.trim().split(/\s+/).at(-1));
  if (!Number.isFinite(welfare)) throw new Error(`cannot read the objective from glpsol's solution: ${line}`);
  const reported = /Time used:\s+([\d.]+) secs/.exec(stdout)?.[1];
  return { welfare, wallMs, reportedMs: reported === undefined ? null : Number(reported) * 1000 };
}

/** An LP with one bounded variable: running it costs glpsol's process start and file I/O, no solving. */
const TRIVIAL_LP = 'Maximize\n obj: + 1 x\nSubject To\n c: + 1 x <= 1\nBounds\n 0 <= x <= 1\nEnd\n';

/** One wall-time sample of glpsol's start (and its tiny file I/O), ms. */
export function glpsolStartMs(): number {
  return runGlpsol(TRIVIAL_LP).wallMs;
}
