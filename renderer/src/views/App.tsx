// The console's frame: site name, clock, connection state and the view switcher.
import { observer } from 'mobx-react-lite';
import { useEffect, useState } from 'react';
import { useStores } from '../stores/context.tsx';
import type { ViewName } from '../stores/ui-store.ts';
import { Commissioning } from './commissioning/Commissioning.tsx';
import { ControlView } from './control/ControlView.tsx';
import { Devices } from './Devices.tsx';
import { clock } from './format.ts';
import { HistoryView } from './history/HistoryView.tsx';
import { MarketView } from './market/MarketView.tsx';
import { KpisView } from './members/KpisView.tsx';
import { MembersView } from './members/MembersView.tsx';
import { StorageView } from './members/StorageView.tsx';
import { Overview } from './Overview.tsx';

const views: Array<[ViewName, string, () => React.JSX.Element]> = [
  ['overview', 'Overview', () => <Overview />],
  ['control', 'Control', () => <ControlView />],
  ['market', 'Market', () => <MarketView />],
  ['members', 'Members', () => <MembersView />],
  ['storage', 'Storage', () => <StorageView />],
  ['kpis', 'KPIs', () => <KpisView />],
  ['history', 'History', () => <HistoryView />],
  ['devices', 'Devices', () => <Devices />],
  ['commissioning', 'Commissioning', () => <Commissioning />],
];

function Clock({ timeZone }: { timeZone?: string }) {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const t = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(t);
  }, []);
  return <span className="mono">{clock(now, timeZone)}</span>;
}

export const App = observer(function App() {
  const { site, live, ui } = useStores();
  const info = site.info;
  if (site.error) return <div className="fatal">Cannot reach the console back end: {site.error}</div>;
  if (!site.site) return <div className="loading">Connecting to the console…</div>;
  return (
    <div className="app">
      <header className="topbar">
        <div className="brand">
          <span className="logo">◉</span> Commonwatt
        </div>
        <div className="site-name">{site.site.site.name}</div>
        <nav>
          {views.map(([id, label]) => (
            <button key={id} className={ui.view === id ? 'active' : ''} onClick={() => ui.show(id)}>
              {label}
            </button>
          ))}
        </nav>
        <div className="status">
          {info?.simulated && <span className="badge">simulated</span>}
          <span className={`badge ${live.connection === 'open' ? 'ok' : 'alarm'}`}>
            {live.connection === 'open' ? 'live' : live.connection}
          </span>
          <Clock timeZone={site.site.site.timezone} />
        </div>
      </header>
      <main>{(views.find(([id]) => id === ui.view) ?? views[0])[2]()}</main>
    </div>
  );
});
