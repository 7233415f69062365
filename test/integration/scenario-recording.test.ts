// `simulate --scenario FILE --data DIR`: a scenario's meter samples go into a real historian file
// and every closed interval is settled from the historian's own energies, with the mode the
// controller recorded. The energies must match the simulated meters' counters, the modes the
// islanding, and a second run into the same directory must book nothing twice.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { IntervalEnergies, IntervalMode } from '../../shared/settlement/interval-energy.ts';
import { validateScenario, type Scenario } from '../../electron/sim/scenario.ts';
import { ScenarioRecorder, type RecordingSummary } from '../../electron/sim/scenario-recorder.ts';
import { runScenario } from '../../electron/sim/scenario-runner.ts';
import { runCli } from '../fixtures/cli.ts';
import { demoSite } from '../fixtures/demo-site.ts';
import { repoRoot } from '../fixtures/paths.ts';

const site = demoSite();
const flappingFile = path.join(repoRoot, 'resources', 'scenarios', 'flapping-grid.json');

function flapping(): Scenario {
  const checked = validateScenario(JSON.parse(fs.readFileSync(flappingFile, 'utf8')));
  if (!checked.ok) throw new Error(JSON.stringify(checked.problems));
  return checked.value;
}

interface Run {
  summary: RecordingSummary;
  settled: Array<{ energies: IntervalEnergies; mode: IntervalMode; status: string }>;
  truth: Map<number, IntervalEnergies>;
}

async function record(dataDir: string): Promise<Run> {
  const settled: Run['settled'] = [];
  const truth = new Map<number, IntervalEnergies>();
  const recorder = new ScenarioRecorder({
    dataDir,
    site,
    sampleSeconds: 10,
    onSettled: (energies, outcome) =>
      settled.push({ energies, mode: outcome.settlement.mode, status: outcome.status }),
  });
  try {
    await runScenario({
      site,
      scenario: flapping(),
      onSecond: (step) => recorder.onStep(step),
      // What the simulated meters counted, straight from the physics: the reference.
      onInterval: (e) => truth.set(e.startMs, e),
    });
    return { summary: recorder.finish(), settled, truth };
  } finally {
    recorder.close();
  }
}

describe('scenario recording into a data directory', () => {
  let dir: string;
  let first: Run;
  let second: Run;
  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'commonwatt-scenario-'));
    first = await record(dir);
    second = await record(dir);
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('settles every closed interval of the run from complete historian energies', () => {
    // Two hours of 15-minute intervals.
    expect(first.settled).toHaveLength(8);
    expect(first.summary.settlement.settled).toBe(8);
    expect(first.summary.incompleteIntervals).toBe(0);
    expect(first.summary.samples).toBeGreaterThan(100_000);
    expect(fs.existsSync(path.join(dir, 'historian.db'))).toBe(true);
  });

  it('books the energies the simulated meters counted', () => {
    // The pool at full power for one sample period: the most one misplaced step can be worth.
    const poolKW = site.devices
      .filter((d) => d.kind === 'battery-inverter')
      .reduce((sum, d) => sum + (d.ratedKW ?? 0), 0);
    const onePoolSampleKWh = (poolKW * 10) / 3600;
    for (const { energies } of first.settled) {
      const ref = first.truth.get(energies.startMs);
      expect(ref, new Date(energies.startMs).toISOString()).toBeDefined();
      for (const m of energies.members) {
        const r = ref!.members.find((x) => x.member === m.member)!;
        expect(m.importKWh, `${m.member} import`).toBeCloseTo(r.importKWh, 3);
        expect(m.exportKWh, `${m.member} export`).toBeCloseTo(r.exportKWh, 3);
      }
      expect(energies.pcc.importKWh).toBeCloseTo(ref!.pcc.importKWh, 3);
      expect(energies.pcc.exportKWh).toBeCloseTo(ref!.pcc.exportKWh, 3);
      expect(energies.pool.dischargedKWh).toBeCloseTo(ref!.pool.dischargedKWh, 3);
      // The charged energy has no counter: it is integrated from the 10 s power samples.
      expect(Math.abs(energies.pool.chargedKWh - ref!.pool.chargedKWh)).toBeLessThanOrEqual(onePoolSampleKWh);
    }
  });

  it('gives each interval the mode the controller held for most of it', () => {
    const modes = first.settled.map((s) => [new Date(s.energies.startMs).toISOString(), s.mode]);
    // The grid first drops at 10:30 local (09:30Z) and the island reconnects at about 10:53.
    expect(modes).toEqual([
      ['2026-06-21T09:00:00.000Z', 'grid-connected'],
      ['2026-06-21T09:15:00.000Z', 'grid-connected'],
      ['2026-06-21T09:30:00.000Z', 'islanded'],
      ['2026-06-21T09:45:00.000Z', 'islanded'],
      ['2026-06-21T10:00:00.000Z', 'grid-connected'],
      ['2026-06-21T10:15:00.000Z', 'grid-connected'],
      ['2026-06-21T10:30:00.000Z', 'grid-connected'],
      ['2026-06-21T10:45:00.000Z', 'grid-connected'],
    ]);
    // Islanded, nothing crosses the PCC.
    const islanded = first.settled.find(
      (s) => s.mode === 'islanded' && s.energies.startMs === Date.parse('2026-06-21T09:30:00Z'),
    )!;
    expect(islanded.energies.pcc.importKWh + islanded.energies.pcc.exportKWh).toBeLessThan(0.01);
  });

  it('books nothing twice when the same scenario runs again into the same directory', () => {
    expect(second.summary.settlement.settled).toBe(0);
    expect(second.summary.settlement.alreadySettled).toBe(8);
    expect(second.summary.settlement.differing).toBe(0);
    expect(second.summary.samples).toBe(0);
    expect(second.summary.droppedSamples).toBe(first.summary.samples);
  });
});

describe('simulate --data on the command line', () => {
  let dir: string;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'commonwatt-scenario-cli-'));
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('reports the recording with the scenario output', async () => {
    const r = await runCli([
      'simulate',
      '--scenario',
      flappingFile,
      '--data',
      dir,
      '--sample-seconds',
      '30',
      '--json',
    ]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    // The shape of the issue: transitions {at, from, to, reason}, the KPIs, the events.
    expect(Object.keys(out.transitions[0]).sort()).toEqual(['at', 'from', 'reason', 'to']);
    expect(out.transitions[0]).toMatchObject({ from: 'grid-connected', to: 'unplanned-islanding' });
    expect(out.transitions[0].at).toBe('2026-06-21T10:30:00+01:00');
    expect(out.kpis).toMatchObject({
      essentialUnservedKWh: expect.any(Number),
      shedKWhByTier: expect.any(Object),
      minSoC: expect.any(Number),
      islandedHours: expect.any(Number),
      pccPowerKWAtOpen: [],
    });
    expect(out.events.length).toBeGreaterThan(0);
    expect(out.recording.settlement.settled).toBe(8);
    expect(out.recording.sampleSeconds).toBe(30);
  });

  it('refuses a sample period that does not divide a minute, in one line', async () => {
    const r = await runCli(['simulate', '--scenario', flappingFile, '--data', dir, '--sample-seconds', '7']);
    expect(r.code).toBe(2);
    expect(r.stderr.split('\n')[0]).toMatch(/^commonwatt simulate: --sample-seconds must divide a minute/);
  });
});
