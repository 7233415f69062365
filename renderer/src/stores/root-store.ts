// Builds every store from one API client, so stores run in tests without React or a window.
import { configure } from 'mobx';
import type { ApiClient } from '../api/client.ts';
import { LiveStore } from './live-store.ts';
import { SiteStore } from './site-store.ts';
import { UiStore } from './ui-store.ts';

configure({ enforceActions: 'always' });

export class RootStore {
  readonly site: SiteStore;
  readonly live: LiveStore;
  readonly ui: UiStore;

  constructor(readonly api: ApiClient) {
    this.site = new SiteStore(api);
    this.live = new LiveStore(api);
    this.ui = new UiStore();
  }

  async start(): Promise<void> {
    await this.site.load();
    await this.live.load();
  }
}
