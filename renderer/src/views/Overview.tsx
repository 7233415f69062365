// The overview: headline figures across the top, the live 3D topology, and feeders and devices
// at the side — what a manager glances at from across the control room.
import { observer } from 'mobx-react-lite';
import type { SumKW } from '../../../shared/api/live.ts';
import { useStores } from '../stores/context.tsx';
import { TopologyScene } from '../topology/TopologyScene.tsx';
import { kw, percent, reading } from './format.ts';
import { Sparkline } from './Sparkline.tsx';
import { Figure } from './Figure.tsx';

/** A sum with members unknown is shown as what it is: a partial sum, and how many are missing. */
function partial(sum: SumKW | undefined): string | undefined {
  if (!sum || sum.complete) return undefined;
  return `partial: ${sum.missing.length} not answering`;
}

export const Overview = observer(function Overview() {
  const { site, live } = useStores();
  const s = live.snapshot;
  const siteFile = site.site;
  if (!siteFile) return null;
  const pcc = s?.pcc;
  const pccKW = pcc?.powerKW.value ?? null;
  const breaker = pcc?.breakerClosed;
  const feeders = siteFile.topology.branches.filter((b) => b.from === siteFile.topology.root);

  return (
    <div className="overview">
      <section className="figures">
        <div className={`figure pcc ${pccKW !== null && pccKW < 0 ? 'exporting' : ''}`}>
          <div className="figure-label">PCC exchange</div>
          <div className="figure-value" data-testid="pcc-power">
            {pccKW === null ? '—' : `${Math.abs(pccKW).toFixed(1)} kW`}
          </div>
          <div className="figure-detail">
            {breaker?.value === 0
              ? 'islanded: no exchange with the grid'
              : pccKW === null
                ? 'no reading'
                : pccKW >= 0
                  ? 'importing from the grid'
                  : 'exporting to the grid'}
            {' · breaker '}
            <span className={breaker?.value ? 'ok' : 'alarm'}>
              {breaker?.value === null || !breaker ? 'unknown' : breaker.value ? 'closed' : 'open'}
            </span>
          </div>
          <Sparkline points={live.pccHistory} unit="kW" color="#f0a020" />
        </div>
        <Figure
          label="Community PV"
          value={kw(s?.totals.pv.valueKW)}
          detail={partial(s?.totals.pv) ?? 'measured at the PV inverter'}
          testId="pv-power"
        />
        <Figure
          label="Net member demand"
          value={kw(s?.totals.load.valueKW)}
          detail={partial(s?.totals.load) ?? 'sum of member meters, after rooftop PV'}
        />
        <Figure
          label="Battery pool"
          value={percent(s?.totals.socFraction)}
          detail={
            s
              ? (partial(s.totals.battery) ??
                `${s.totals.battery.valueKW >= 0 ? 'discharging' : 'charging'} ${Math.abs(s.totals.battery.valueKW).toFixed(1)} kW`)
              : undefined
          }
          testId="battery-soc"
        />
        <Figure
          label="Grid"
          value={reading(pcc?.voltageV, 1)}
          detail={pcc ? `${reading(pcc.frequencyHz, 2)}` : 'off-grid site'}
        />
        <Figure
          label="Devices online"
          value={s ? `${s.totals.devicesOnline} / ${s.totals.devicesTotal}` : '—'}
          detail={
            s && s.totals.devicesOnline < s.totals.devicesTotal
              ? 'some devices are not answering'
              : 'all answering'
          }
          testId="devices-online"
        />
      </section>
      <section className="main">
        <TopologyScene site={siteFile} />
        <aside className="side">
          <h2>Feeders</h2>
          <table className="table">
            <thead>
              <tr>
                <th>Feeder</th>
                <th className="num">Flow</th>
                <th className="num">Loading</th>
              </tr>
            </thead>
            <tbody>
              {feeders.map((f) => {
                const flow = s?.branches[f.id];
                const loading = flow?.value === null || !flow ? null : Math.abs(flow.value) / f.ratingKVA;
                return (
                  <tr key={f.id}>
                    <td>{siteFile.topology.buses.find((b) => b.id === f.to)?.name ?? f.to}</td>
                    <td className="num">{kw(flow?.value)}</td>
                    <td className={`num ${loading !== null && loading > 0.9 ? 'alarm' : ''}`}>
                      {percent(loading)}
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
          <h2>Legend</h2>
          <ul className="legend">
            <li>
              <i style={{ background: '#f0a020' }} /> member importing
            </li>
            <li>
              <i style={{ background: '#35c46a' }} /> member exporting
            </li>
            <li>
              <i style={{ background: '#3a3f47' }} /> no reading
            </li>
            <li>
              <i style={{ background: '#4aa3ff' }} /> battery state of charge
            </li>
            <li>
              <i style={{ background: '#7a2a31' }} /> member shed by the controller
            </li>
            <li>
              <i style={{ background: '#3d78b8' }} /> island boundary and lines fed by the battery pool
            </li>
          </ul>
          <p className="muted small">
            Particles run along each line in the direction of the flow; faster and larger means more power.
          </p>
        </aside>
      </section>
    </div>
  );
});
