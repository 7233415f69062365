// `commonwatt control ACTION`: the operator commands of the Control view, from a terminal, on a
// running console (`commonwatt serve`). The same two steps as the view: the console checks the
// command and says what it will do or why it refuses; the operator confirms; the console checks
// again, runs it and audits it as the CLI with the user of the token that `serve` wrote under
// the data directory (readable only by the console's OS user).
import path from 'node:path';
import readline from 'node:readline/promises';
import { parseArgs } from 'node:util';
import { batteryModes, type BatteryMode, type OperatorCommand } from '../../shared/api/control-api.ts';
import { defaultDataDir } from '../app/data-dir.ts';
import { connectRemote, readCliToken } from '../server/remote-client.ts';
import { CliUsageError } from './cli-error.ts';

const ACTIONS = 'status, island, reconnect, shed TIER, restore TIER, battery-mode MODE, cancel-schedule';

function tierOf(value: string | undefined, action: string): number {
  const tier = Number(value);
  if (value === undefined || !Number.isInteger(tier) || tier < 0 || tier > 9)
    throw new CliUsageError(`${action} needs a tier number 0–9`);
  return tier;
}

export function commandFrom(
  action: string,
  rest: string[],
  options: { at?: string; setpoint?: string },
): OperatorCommand {
  switch (action) {
    case 'island': {
      if (options.at === undefined) return { kind: 'island' };
      const atMs = Date.parse(options.at);
      if (Number.isNaN(atMs))
        throw new CliUsageError(`--at is an ISO 8601 time such as 2026-06-01T12:00:00Z, not '${options.at}'`);
      return { kind: 'island', atMs };
    }
    case 'reconnect':
      return { kind: 'reconnect' };
    case 'cancel-schedule':
      return { kind: 'cancel-schedule' };
    case 'shed':
    case 'restore':
      return { kind: action, tier: tierOf(rest[0], action) };
    case 'battery-mode': {
      const mode = rest[0] as BatteryMode | undefined;
      if (!mode || !batteryModes.includes(mode))
        throw new CliUsageError(`battery-mode is one of ${batteryModes.join(', ')}`);
      if (mode !== 'setpoint') return { kind: 'battery-mode', mode };
      const setpointKW = Number(options.setpoint);
      if (options.setpoint === undefined || !Number.isFinite(setpointKW))
        throw new CliUsageError('battery-mode setpoint needs --setpoint KW (positive discharges)');
      return { kind: 'battery-mode', mode, setpointKW };
    }
    default:
      throw new CliUsageError(`unknown action '${action}'; actions: ${ACTIONS}`);
  }
}

export async function run(args: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      allowPositionals: true,
      options: {
        port: { type: 'string' },
        host: { type: 'string', default: '127.0.0.1' },
        at: { type: 'string' },
        setpoint: { type: 'string' },
        data: { type: 'string' },
        yes: { type: 'boolean', short: 'y' },
        json: { type: 'boolean' },
      },
      strict: true,
    });
  } catch (error) {
    throw new CliUsageError((error as Error).message);
  }
  const { values, positionals } = parsed;
  const [action, ...rest] = positionals;
  if (!action) throw new CliUsageError(`name an action: ${ACTIONS}`);
  if (!values.port) throw new CliUsageError('--port is the port `commonwatt serve` printed');
  const command = action === 'status' ? null : commandFrom(action, rest, values);
  const dataDir = path.resolve(values.data ?? defaultDataDir());
  const remote = await connectRemote(`ws://${values.host}:${values.port}/api`, {
    token: readCliToken(dataDir),
  });
  try {
    if (!command) {
      const state = await remote.call('control/state', {});
      if (values.json) console.log(JSON.stringify(state, null, 2));
      else {
        console.log(
          `mode      ${state.mode} since ${new Date(state.sinceMs).toISOString()} (${state.reason})`,
        );
        const closed = state.pcc?.breakerClosed;
        console.log(
          `breaker   ${state.pcc === null ? 'none (off-grid)' : closed === null || closed === undefined ? 'unknown' : closed ? 'closed' : 'open'}`,
        );
        const soc = state.pool.socFraction;
        console.log(
          `pool SoC  ${soc === null ? 'unknown' : `${(soc * 100).toFixed(1)} %`} (reserve ${(state.pool.reserveSoC * 100).toFixed(1)} %)`,
        );
        const shed = state.tiers.filter((t) => t.shed).map((t) => t.tier);
        console.log(`shed      ${shed.length > 0 ? `tiers ${shed.join(', ')}` : 'none'}`);
        const active = state.alarms.filter((a) => a.clearedMs === null);
        console.log(`alarms    ${active.length} active`);
      }
      return 0;
    }
    const check = await remote.call('control/check', { command });
    if (!check.ok) {
      console.error(`refused: ${check.reason}`);
      return 1;
    }
    console.log(check.summary);
    if (check.reason) console.log(`note: ${check.reason}`);
    if (!values.yes) {
      if (!process.stdin.isTTY) {
        console.error('not confirmed: add --yes to confirm from a script');
        return 1;
      }
      const prompt = readline.createInterface({ input: process.stdin, output: process.stdout });
      const answer = await prompt.question('Confirm? [y/N] ');
      prompt.close();
      if (!/^y(es)?$/i.test(answer.trim())) {
        console.log('cancelled: nothing was done');
        return 1;
      }
    }
    const outcome = await remote.call('control/command', {
      command,
      confirmed: true,
    });
    if (values.json) console.log(JSON.stringify(outcome, null, 2));
    else if (outcome.ok) console.log(`done: ${outcome.summary}`);
    else console.error(`refused: ${outcome.reason}`);
    return outcome.ok ? 0 : 1;
  } finally {
    remote.close();
  }
}
