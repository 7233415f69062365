// `commonwatt simulate --site FILE`: the site's devices as Modbus/TCP servers on loopback,
// stepped in real time, for the console or any other Modbus client (mbpoll, pymodbus).
import path from 'node:path';
import { parseArgs } from 'node:util';
import { DEMO_SITE_PATH, loadSiteFile } from '../app/site-loader.ts';
import { SiteSimulator } from '../sim/site-simulator.ts';
import { CliUsageError } from './cli-error.ts';

export async function run(args: string[]): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args,
      options: { site: { type: 'string' }, 'port-offset': { type: 'string' }, weather: { type: 'string' } },
      strict: true,
    }));
  } catch (error) {
    throw new CliUsageError((error as Error).message);
  }
  const portOffset = Number(values['port-offset'] ?? '0');
  if (!Number.isInteger(portOffset) || portOffset < -10000 || portOffset > 40000)
    throw new CliUsageError('--port-offset must be a whole number');
  const weather = values.weather ?? 'clear';
  if (weather !== 'clear' && weather !== 'cloudy' && weather !== 'storm')
    throw new CliUsageError('--weather is clear, cloudy or storm');
  const site = loadSiteFile(path.resolve(values.site ?? DEMO_SITE_PATH));
  const sim = await SiteSimulator.start(site, { portOffset, weather });
  const endpoints = new Map<string, number[]>();
  for (const device of site.devices) {
    const e = sim.endpointOf(device);
    const key = `${e.host}:${e.port}`;
    endpoints.set(key, [...(endpoints.get(key) ?? []), e.unitId]);
  }
  console.log(`simulating ${site.site.name}: ${site.devices.length} devices on ${endpoints.size} endpoints`);
  for (const [key, units] of endpoints)
    console.log(`  ${key}  unit${units.length > 1 ? 's' : ''} ${compactRanges(units)}`);
  console.log('Ctrl+C to stop');
  await new Promise<void>((resolve) => {
    process.once('SIGINT', () => resolve());
    process.once('SIGTERM', () => resolve());
  });
  await sim.stop();
  return 0;
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
