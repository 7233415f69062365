// Every field device with its connection state, last reading time and error, for the
// technician who has to find the meter that stopped answering.
import { observer } from 'mobx-react-lite';
import { useStores } from '../stores/context.tsx';
import { clock, reading } from './format.ts';

export const Devices = observer(function Devices() {
  const { site, live } = useStores();
  const devices = live.snapshot?.devices ?? [];
  const defs = new Map(site.site?.devices.map((d) => [d.id, d]));
  const tz = site.site?.site.timezone;
  return (
    <div className="page">
      <h1>Field devices</h1>
      <table className="table devices">
        <thead>
          <tr>
            <th>Device</th>
            <th>Kind</th>
            <th>Endpoint</th>
            <th>State</th>
            <th className="num">Power</th>
            <th className="num">Latency</th>
            <th>Last good read</th>
            <th>Problem</th>
          </tr>
        </thead>
        <tbody>
          {devices.map((d) => {
            const def = defs.get(d.id);
            return (
              <tr key={d.id}>
                <td>{def?.name ?? d.id}</td>
                <td>{d.kind}</td>
                <td className="mono">
                  {def ? `${def.endpoint.host}:${def.endpoint.port} #${def.endpoint.unitId}` : ''}
                  {def?.gateway ? ` via ${def.gateway}` : ''}
                </td>
                <td className={d.state === 'online' ? 'ok' : 'alarm'}>{d.state}</td>
                <td className="num">{reading(d.readings.powerKW, 2)}</td>
                <td className="num">{d.latencyMs === null ? '—' : `${d.latencyMs} ms`}</td>
                <td>{d.lastGoodMs ? clock(d.lastGoodMs, tz) : 'never'}</td>
                <td className="muted">{d.error ?? ''}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
});
