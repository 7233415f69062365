// Builds every store from one API client, so stores run in tests without React or a window.
import { configure } from 'mobx';
import type { ApiClient } from '../api/api-client.ts';
import { withReauthentication } from '../api/reauthenticating-client.ts';
import { AuditStore } from './audit-store.ts';
import { CommissioningStore } from './commissioning-store.ts';
import { ControlStore } from './control-store.ts';
import { HistoryStore } from './history-store.ts';
import { LiveStore } from './live-store.ts';
import { MarketStore } from './market-store.ts';
import { SettlementStore } from './settlement-store.ts';
import { SessionStore } from './session-store.ts';
import { SiteStore } from './site-store.ts';
import { UiStore } from './ui-store.ts';

configure({ enforceActions: 'always' });

export class RootStore {
  readonly api: ApiClient;
  readonly session: SessionStore;
  readonly audit: AuditStore;
  readonly site: SiteStore;
  readonly live: LiveStore;
  readonly ui: UiStore;
  // The stores of the other views load when their view is first shown.
  readonly history: HistoryStore;
  readonly control: ControlStore;
  readonly market: MarketStore;
  readonly settlement: SettlementStore;
  readonly commissioning: CommissioningStore;

  /** `transport` is the bare client; every store gets it wrapped so control actions can ask for the password again. */
  constructor(transport: ApiClient) {
    this.session = new SessionStore(transport);
    const api = withReauthentication(transport, (reason, error) => this.session.askPassword(reason, error));
    this.api = api;
    this.audit = new AuditStore(api);
    this.site = new SiteStore(api);
    this.live = new LiveStore(api);
    this.ui = new UiStore();
    this.history = new HistoryStore(api);
    this.control = new ControlStore(api);
    this.market = new MarketStore(api);
    this.settlement = new SettlementStore(api);
    this.commissioning = new CommissioningStore(api);
  }

  async start(): Promise<void> {
    await this.session.load();
    await this.site.load();
    await this.live.load();
  }
}
