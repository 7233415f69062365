// Builds every store from one API client, so stores run in tests without React or a window.
import { configure } from 'mobx';
import type { ApiClient } from '../api/api-client.ts';
import { CommissioningStore } from './commissioning-store.ts';
import { ControlStore } from './control-store.ts';
import { HistoryStore } from './history-store.ts';
import { LiveStore } from './live-store.ts';
import { MarketStore } from './market-store.ts';
import { SettlementStore } from './settlement-store.ts';
import { SiteStore } from './site-store.ts';
import { UiStore } from './ui-store.ts';

configure({ enforceActions: 'always' });

export class RootStore {
  readonly site: SiteStore;
  readonly live: LiveStore;
  readonly ui: UiStore;
  // The stores of the other views load when their view is first shown.
  readonly history: HistoryStore;
  readonly control: ControlStore;
  readonly market: MarketStore;
  readonly settlement: SettlementStore;
  readonly commissioning: CommissioningStore;

  constructor(readonly api: ApiClient) {
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
    await this.site.load();
    await this.live.load();
  }
}
