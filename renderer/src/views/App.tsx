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
import { AuditView } from './audit/AuditView.tsx';
import { PasswordPrompt, SessionMenu, SetPasswordBanner } from './session/SessionMenu.tsx';
import type { Role } from '../../../shared/api/access.ts';

const views: Array<[ViewName, string, () => React.JSX.Element, Role?]> = [
  ['overview', 'Overview', () => <Overview />],
  ['control', 'Control', () => <ControlView />],
  ['market', 'Market', () => <MarketView />],
  ['members', 'Members', () => <MembersView />],
  ['storage', 'Storage', () => <StorageView />],
  ['kpis', 'KPIs', () => <KpisView />],
  ['history', 'History', () => <HistoryView />],
  ['devices', 'Devices', () => <Devices />],
  ['commissioning', 'Commissioning', () => <Commissioning />],
  ['audit', 'Audit', () => <AuditView />, 'operator'],
];

function Clock({ timeZone }: { timeZone?: string }) {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const t = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(t);
  }, []);
  return <span className="mono">{clock(now, timeZone)}</span>;
}

export const App = observer(function App({ onSignOut }: { onSignOut: () => void }) {
  const { site, live, ui, session } = useStores();
  const shown = views.filter(([, , , role]) => !role || session.may(role));
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
          {shown.map(([id, label]) => (
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
          <SessionMenu onSignOut={onSignOut} />
        </div>
      </header>
      <SetPasswordBanner />
      <PasswordPrompt />
      <main>{(shown.find(([id]) => id === ui.view) ?? views[0])[2]()}</main>
    </div>
  );
});
