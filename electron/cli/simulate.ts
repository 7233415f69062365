// `commonwatt simulate --site FILE`: the site's devices as Modbus/TCP servers on loopback,
// stepped in real time, for the console or any other Modbus client (mbpoll, pymodbus).
// `commonwatt simulate --scenario FILE [--site FILE] [--json] [--data DIR]`: a scenario run in
// accelerated time with the console's own microgrid controller, reporting transitions and KPIs;
// with --data, the meters' samples go into DIR's historian and every interval is settled.
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { formatProblems } from '../../shared/validation/problems.ts';
import { DEMO_SITE_PATH, loadSiteFile } from '../site/site-file.ts';
import { scenarioSiteProblems, validateScenario } from '../sim/scenario.ts';
import { ScenarioRecorder, type RecordingSummary } from '../sim/scenario-recorder.ts';
import { runScenario, type ScenarioOutput, type ScenarioStep } from '../sim/scenario-runner.ts';
import { SiteSimulator } from '../sim/site-simulator.ts';
import { CliUsageError } from './cli-error.ts';

export async function run(args: string[]): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args,
      options: {
        site: { type: 'string' },
        'port-offset': { type: 'string' },
        weather: { type: 'string' },
        scenario: { type: 'string' },
        json: { type: 'boolean' },
        data: { type: 'string' },
        'sample-seconds': { type: 'string' },
      },
      strict: true,
    }));
  } catch (error) {
    throw new CliUsageError((error as Error).message);
  }
  if (values.scenario !== undefined) {
    if (values['port-offset'] !== undefined || values.weather !== undefined)
      throw new CliUsageError(
        '--port-offset and --weather belong to the live simulator; a scenario sets its own weather',
      );
    const sampleSeconds =
      values['sample-seconds'] === undefined ? undefined : Number(values['sample-seconds']);
    if (
      sampleSeconds !== undefined &&
      (!Number.isInteger(sampleSeconds) || sampleSeconds < 1 || 60 % sampleSeconds !== 0)
    )
      throw new CliUsageError('--sample-seconds must divide a minute: 1, 2, 5, 10, 15, 20, 30 or 60');
    if (sampleSeconds !== undefined && values.data === undefined)
      throw new CliUsageError('--sample-seconds needs --data');
    return runScenarioFile(values.scenario, {
      siteFile: values.site,
      json: values.json ?? false,
      dataDir: values.data,
      sampleSeconds,
    });
  }
  if (values.json) throw new CliUsageError('--json needs --scenario');
  if (values.data !== undefined)
    throw new CliUsageError('--data needs --scenario (the live simulator keeps no data)');
  const portOffset = Number(values['port-offset'] ?? '0');
  if (!Number.isInteger(portOffset) || portOffset < -10000 || portOffset > 40000)
    throw new CliUsageError('--port-offset must be a whole number');
  const weather = values.weather ?? 'clear';
  if (weather !== 'clear' && weather !== 'cloudy' && weather !== 'storm')
    throw new CliUsageError('--weather is clear, cloudy or storm');
  const site = loadSiteFile(path.resolve(values.site ?? DEMO_SITE_PATH));
  const sim = await SiteSimulator.start(site, { portOffset, weather });
  sim.rangeAlarms.onRaise((a) =>
    console.error(
      `${a.device} ${a.point}: ${a.value ?? 'not a number'} is outside its register's range; it shows ${a.shown ?? 'not implemented'}`,
    ),
  );
  const endpoints = new Map<string, number[]>();
  for (const device of site.devices) {
    const e = sim.endpointOf(device);
    const key = `${e.host}:${e.port}`;
    endpoints.set(key, [...(endpoints.get(key) ?? []), e.unitId]);
  }
  console.log(`simulating ${site.site.name}: ${site.devices.length} devices on ${endpoints.size} endpoints`);
  for (const [key, units] of endpoints)
    console.log(`  ${key}  unit${units.length > 1 ? 's' : ''} ${compactRanges(units)}`);
  for (const spare of sim.spareUnits())
    console.log(
      `  ${spare.host}:${spare.port}  unit ${spare.unitId}: a spare meter not in the site, to commission`,
    );
  console.log('Ctrl+C to stop');
  await new Promise<void>((resolve) => {
    process.once('SIGINT', () => resolve());
    process.once('SIGTERM', () => resolve());
  });
  await sim.stop();
  return 0;
}

interface ScenarioRunFlags {
  siteFile: string | undefined;
  json: boolean;
  dataDir: string | undefined;
  sampleSeconds: number | undefined;
}

async function runScenarioFile(file: string, flags: ScenarioRunFlags): Promise<number> {
  const { siteFile, json } = flags;
  const scenarioPath = path.resolve(file);
  let text: string;
  try {
    text = fs.readFileSync(scenarioPath, 'utf8');
  } catch (error) {
    throw new Error(
      `cannot read scenario ${scenarioPath}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
    );
  }
  let input: unknown;
  try {
    input = JSON.parse(text);
  } catch (error) {
    console.error(`${scenarioPath}: not JSON: ${(error as Error).message}`);
    return 1;
  }
  const checked = validateScenario(input);
  if (!checked.ok) {
    console.error(formatProblems(checked.problems));
    return 1;
  }
  // --site wins over the scenario's own site, which is relative to the scenario file.
  const sitePath = siteFile
    ? path.resolve(siteFile)
    : checked.value.site
      ? path.resolve(path.dirname(scenarioPath), checked.value.site)
      : DEMO_SITE_PATH;
  const site = loadSiteFile(sitePath);
  const problems = scenarioSiteProblems(checked.value, site);
  if (problems.length > 0) {
    console.error(formatProblems(problems));
    return 1;
  }
  const recorder = flags.dataDir
    ? new ScenarioRecorder({
        dataDir: path.resolve(flags.dataDir),
        site,
        ...(flags.sampleSeconds !== undefined ? { sampleSeconds: flags.sampleSeconds } : {}),
      })
    : null;
  let recording: RecordingSummary | null = null;
  let result;
  try {
    result = await runScenario({
      site,
      scenario: checked.value,
      ...(recorder ? { onSecond: (step: ScenarioStep) => recorder.onStep(step) } : {}),
    });
    recording = recorder?.finish() ?? null;
  } finally {
    recorder?.close();
  }
  if (json) console.log(JSON.stringify(recording ? { ...result.output, recording } : result.output, null, 2));
  else {
    printSummary(result.output, result.wallMs);
    if (recording) printRecording(recording);
  }
  return 0;
}

function printRecording(r: RecordingSummary): void {
  const s = r.settlement;
  console.log(`
data in ${r.dataDir}:`);
  console.log(
    `  historian               ${r.samples} samples every ${r.sampleSeconds} s${r.droppedSamples ? ` (${r.droppedSamples} already stored)` : ''}`,
  );
  console.log(
    `  settlement              ${s.settled} intervals settled, ${s.alreadySettled} already in the ledger${s.differing ? ` (${s.differing} with different energies now)` : ''}`,
  );
  if (r.incompleteIntervals > 0) console.log(`  incomplete intervals    ${r.incompleteIntervals}`);
  console.log(
    `  reconciliation          max ${s.maxReconciliationErrorKWh.toFixed(4)} kWh pool error, max ${s.maxConservationError.toFixed(6)} money conservation error`,
  );
  if (s.alarms.length > 0)
    console.log(`  settlement alarms       ${s.alarms.length} (first: ${s.alarms[0]})`);
}

function printSummary(output: ScenarioOutput, wallMs: number): void {
  const k = output.kpis;
  console.log(`${output.site}: ${output.start} → ${output.end} (ran in ${(wallMs / 1000).toFixed(1)} s)`);
  console.log('\ntransitions:');
  if (output.transitions.length === 0) console.log('  none');
  for (const t of output.transitions) console.log(`  ${t.at}  ${t.from} → ${t.to}: ${t.reason}`);
  const commands = output.events.filter((e) => e.type === 'command');
  if (commands.length > 0) {
    console.log('\ncommands:');
    for (const c of commands)
      console.log(`  ${c.at}  ${c.message}${c.unexpected ? `  ← expected ${c.expected}` : ''}`);
  }
  const alarms = output.events.filter((e) => e.type === 'alarm');
  if (alarms.length > 0) {
    console.log('\nalarms:');
    for (const a of alarms) console.log(`  ${a.at}  ${a.message}`);
  }
  const shed = Object.entries(k.shedKWhByTier)
    .map(([tier, kWh]) => `tier ${tier} ${kWh.toFixed(1)} kWh`)
    .join(', ');
  const switchings = Object.entries(k.relaySwitchingsByTier)
    .map(([tier, n]) => `tier ${tier} ${n}`)
    .join(', ');
  console.log('\nKPIs:');
  console.log(
    `  essential unserved      ${k.essentialUnservedKWh.toFixed(3)} kWh (${k.essentialUnservedWithEnergyKWh.toFixed(3)} kWh while the pool had energy)`,
  );
  console.log(`  shed                    ${shed}`);
  console.log(`  minimum pool SoC        ${(k.minSoC * 100).toFixed(1)} %`);
  console.log(`  islanded / dark         ${k.islandedHours.toFixed(2)} h / ${k.blackoutHours.toFixed(2)} h`);
  console.log(
    `  PCC at planned openings ${k.pccPowerKWAtOpen.length ? k.pccPowerKWAtOpen.map((p) => `${p.toFixed(2)} kW`).join(', ') : 'none'}`,
  );
  console.log(`  breaker operations      ${k.breakerOperations}`);
  console.log(`  relay switchings        ${switchings}`);
}

function compactRanges(values: number[]): string {
  const sorted = [...values].sort((a, b) => a - b);
  const parts: string[] = [];
  for (let i = 0; i < sorted.length;) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === (sorted[j] as number) + 1) j++;
    parts.push(i === j ? `${sorted[i]}` : `${sorted[i]}-${sorted[j]}`);
    i = j + 1;
  }
  return parts.join(',');
}
