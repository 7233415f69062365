// Scenario runner speed. In the same run: the site physics alone stepped through a week
// (the baseline), the same week with the microgrid controller ticking every second (the
// scenario runner), a 30-day month the same way, and a week recorded into a fresh data
// directory (historian samples every 10 s, every interval settled into the ledger) — each as
// wall time per simulated day and as a ratio of the baseline. The baseline and the scenario
// runner are compared warm against warm, in alternating rounds (median of SCENARIO_BENCH_ROUNDS).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { validateScenario, type Scenario } from '../../electron/sim/scenario.ts';
import { ScenarioRecorder } from '../../electron/sim/scenario-recorder.ts';
import { runScenario } from '../../electron/sim/scenario-runner.ts';
import { SitePhysics } from '../../electron/sim/site-physics.ts';
import { demoSite } from '../fixtures/demo-site.ts';

const WEEK_H = 168;
const MONTH_H = 720;
const ROUNDS = Number(process.env.SCENARIO_BENCH_ROUNDS ?? 3);

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

function scenario(hours: number): Scenario {
  const checked = validateScenario({
    start: '2026-06-01T00:00:00+01:00',
    durationHours: hours,
    initialSoC: 0.6,
    weather: 'clear',
    events: [
      { at: 'P2DT19H', type: 'grid-loss' },
      { at: 'P3DT8H', type: 'grid-restore' },
      { at: 'P5DT12H', type: 'command', command: 'island' },
      { at: 'P5DT16H', type: 'command', command: 'reconnect' },
    ],
  });
  if (!checked.ok) throw new Error(JSON.stringify(checked.problems));
  return checked.value;
}

export default async function bench(): Promise<Record<string, unknown>> {
  const site = demoSite();
  const week = scenario(WEEK_H);

  const physicsWeek = (hours: number) => {
    const physics = new SitePhysics(site, Date.parse(week.start), { initialSoC: 0.6 });
    for (let s = 0; s < hours * 3600; s++) physics.step(1);
  };
  // Like with like: both warmed up on a day first, then timed in alternating rounds (order
  // rotating), so neither gets the colder process or the quieter machine.
  physicsWeek(24);
  await runScenario({ site, scenario: scenario(24) });
  const physicsRuns: number[] = [];
  const scenarioRuns: number[] = [];
  let run!: Awaited<ReturnType<typeof runScenario>>;
  for (let round = 0; round < ROUNDS; round++) {
    const timed = [
      async () => {
        const started = performance.now();
        physicsWeek(WEEK_H);
        physicsRuns.push(performance.now() - started);
      },
      async () => {
        const started = performance.now();
        run = await runScenario({ site, scenario: week });
        scenarioRuns.push(performance.now() - started);
      },
    ];
    if (round % 2 === 1) timed.reverse();
    for (const step of timed) await step();
  }
  const physicsMs = median(physicsRuns);
  const scenarioMs = median(scenarioRuns);

  let t = performance.now();
  await runScenario({ site, scenario: scenario(MONTH_H) });
  const monthMs = performance.now() - t;

  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'commonwatt-bench-scenario-'));
  let recordedMs: number;
  let samples: number;
  let settled: number;
  let dbBytes: number;
  try {
    const recorder = new ScenarioRecorder({ dataDir: dir, site, sampleSeconds: 10 });
    t = performance.now();
    try {
      await runScenario({ site, scenario: week, onSecond: (step) => recorder.onStep(step) });
      const summary = recorder.finish();
      samples = summary.samples;
      settled = summary.settlement.settled;
    } finally {
      recorder.close();
    }
    recordedMs = performance.now() - t;
    dbBytes = fs.statSync(path.join(dir, 'historian.db')).size;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }

  const perDay = (ms: number, hours: number) => Math.round((ms / (hours / 24)) * 10) / 10;
  return {
    transitionsInWeek: run.transitions.length,
    physicsOnlyMsPerSimDay: perDay(physicsMs, WEEK_H),
    scenarioMsPerSimDay: perDay(scenarioMs, WEEK_H),
    controllerOverheadRatio: Math.round((scenarioMs / physicsMs) * 100) / 100,
    monthWallS: Math.round(monthMs / 100) / 10,
    monthSpeedup: Math.round((MONTH_H * 3_600_000) / monthMs),
    recordedMsPerSimDay: perDay(recordedMs, WEEK_H),
    recordedRatio: Math.round((recordedMs / physicsMs) * 100) / 100,
    recordedMonthProjectedS: Math.round(((recordedMs / WEEK_H) * MONTH_H) / 1000),
    samplesPerWallSecond: Math.round(samples / (recordedMs / 1000)),
    intervalsSettled: settled,
    historianMBPerSimDay: Math.round((dbBytes / (WEEK_H / 24) / 1e6) * 10) / 10,
  };
}
