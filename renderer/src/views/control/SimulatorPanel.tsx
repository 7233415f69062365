// On a simulated site: cut and restore the grid or change the weather, to demonstrate and train
// on islanding with the same controller that runs a real site. Hidden on real devices.
import { useEffect, useState } from 'react';
import { simWeathers, type SimulatorState, type SimWeather } from '../../../../shared/api/simulator-api.ts';
import { useStores } from '../../stores/context.tsx';

export function SimulatorPanel() {
  const { api } = useStores();
  const [state, setState] = useState<SimulatorState | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    api.call('simulator/state', {}).then(setState, (e: Error) => setError(e.message));
  }, [api]);
  if (!state?.simulated) return null;
  const run = (call: Promise<SimulatorState>) =>
    call.then(
      (next) => {
        setState(next);
        setError(null);
      },
      (e: Error) => setError(e.message),
    );
  return (
    <section className="panel simulator" data-testid="simulator-panel">
      <h2>Simulator</h2>
      <div className="sim-row">
        <span>
          Grid: <strong data-testid="sim-grid">{state.gridAvailable ? 'available' : 'lost'}</strong>
        </span>
        <button
          data-testid="sim-grid-toggle"
          onClick={() => void run(api.call('simulator/grid', { available: !state.gridAvailable }))}
        >
          {state.gridAvailable ? 'Cut the grid' : 'Restore the grid'}
        </button>
        <label>
          Weather{' '}
          <select
            value={state.weather ?? 'clear'}
            onChange={(e) =>
              void run(api.call('simulator/weather', { weather: e.target.value as SimWeather }))
            }
          >
            {simWeathers.map((w) => (
              <option key={w} value={w}>
                {w}
              </option>
            ))}
          </select>
        </label>
        <span className="muted">
          Simulated devices only: the controller sees the change through the PCC meter, as it would on a real
          site.
        </span>
        {error && <span className="error">{error}</span>}
      </div>
    </section>
  );
}
