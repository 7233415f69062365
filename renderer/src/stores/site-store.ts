// The site as loaded by the back end: members, devices, topology. Read-only in the renderer.
import { makeAutoObservable, runInAction } from 'mobx';
import type { SiteFile } from '../../../shared/site/schema.ts';
import type { SystemInfo } from '../../../shared/api/contract.ts';
import type { ApiClient } from '../api/api-client.ts';

export class SiteStore {
  site: SiteFile | null = null;
  info: SystemInfo | null = null;
  error: string | null = null;

  constructor(private readonly api: ApiClient) {
    makeAutoObservable<SiteStore, 'api'>(this, { api: false });
  }

  async load(): Promise<void> {
    try {
      const [site, info] = await Promise.all([
        this.api.call('site/get', {}),
        this.api.call('system/info', {}),
      ]);
      runInAction(() => {
        this.site = site;
        this.info = info;
        this.error = null;
      });
    } catch (error) {
      runInAction(() => {
        this.error = (error as Error).message;
      });
    }
  }

  memberName(id: string): string {
    return this.site?.members.find((m) => m.id === id)?.name ?? id;
  }
}
