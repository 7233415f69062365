// The simulator's calls for the console: on a simulated site the operator can cut and restore
// the grid or change the weather and watch the controller respond; on real devices every call
// except the state is refused.
import type { HandlersOf } from '../../shared/api/contract.ts';
import type { SimRangeAlarm, SimulatorApi, SimulatorState } from '../../shared/api/simulator-api.ts';
import { ApiRefusal } from '../platform/api-refusal.ts';
import type { ConsoleContext, ConsolePart } from '../platform/console-part.ts';
import type { SiteSimulator } from './site-simulator.ts';

/** The in-process simulator, when the site is simulated. */
export type SimulatorContext = ConsoleContext & { simulator: SiteSimulator | null };

export function createSimulatorPart(ctx: SimulatorContext): ConsolePart<HandlersOf<SimulatorApi>> {
  const state = (): SimulatorState => {
    const s = ctx.simulator?.physics.state;
    const outOfRange = ctx.simulator?.rangeAlarms.list() ?? [];
    return s
      ? {
          simulated: true,
          gridAvailable: s.gridAvailable,
          weather: s.weather,
          ...(outOfRange.length > 0 ? { outOfRange } : {}),
        }
      : { simulated: false, gridAvailable: null, weather: null };
  };
  // A clamped value is logged once when it goes out of range (those already out at start too);
  // the state lists it while it stays.
  const logAlarm = (alarm: SimRangeAlarm) =>
    ctx.log(
      `simulator: ${alarm.device} ${alarm.point}: ${alarm.value ?? 'not a number'} is outside its register's range; it shows ${alarm.shown ?? 'not implemented'} (alarm raised, the simulator goes on)`,
    );
  ctx.simulator?.rangeAlarms.list().forEach(logAlarm);
  const unwatch = ctx.simulator?.rangeAlarms.onRaise(logAlarm);
  const simulator = (): SiteSimulator => {
    if (!ctx.simulator)
      throw new ApiRefusal('unavailable', 'the console runs on real devices, not on the simulator');
    return ctx.simulator;
  };
  return {
    handlers: {
      'simulator/state': () => state(),
      'simulator/grid': ({ available }) => {
        simulator().physics.setGridAvailable(available);
        ctx.log(`simulator: grid ${available ? 'restored' : 'cut'} by the operator`);
        return state();
      },
      'simulator/weather': ({ weather }) => {
        simulator().physics.state.weather = weather;
        ctx.log(`simulator: weather set to ${weather}`);
        return state();
      },
    },
    stop() {
      unwatch?.();
    },
  };
}
