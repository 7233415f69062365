// The audit trail as the Audit view shows it: filtered by user, kind of action and result,
// newest first, loaded on demand (records reach only those whose role may list them).
import { makeAutoObservable, runInAction } from 'mobx';
import type { AuditRecord, AuditResult } from '../../../shared/api/audit-api.ts';
import type { ApiClient } from '../api/api-client.ts';

export interface AuditFilter {
  user: string;
  /** A call or event name, or a prefix such as `control/`. */
  action: string;
  result: AuditResult | '';
}

export class AuditStore {
  records: AuditRecord[] = [];
  filter: AuditFilter = { user: '', action: '', result: '' };
  loading = false;
  error: string | null = null;

  constructor(private readonly api: ApiClient) {
    makeAutoObservable<AuditStore, 'api'>(this, { api: false });
  }

  setFilter(change: Partial<AuditFilter>): void {
    this.filter = { ...this.filter, ...change };
  }

  async load(): Promise<void> {
    this.loading = true;
    const { user, action, result } = this.filter;
    try {
      const records = await this.api.call('audit/list', {
        ...(user.trim() ? { user: user.trim() } : {}),
        ...(action.trim() ? { action: action.trim() } : {}),
        ...(result ? { result } : {}),
        limit: 500,
      });
      runInAction(() => {
        this.records = records;
        this.error = null;
      });
    } catch (error) {
      runInAction(() => (this.error = (error as Error).message));
    } finally {
      runInAction(() => (this.loading = false));
    }
  }
}
