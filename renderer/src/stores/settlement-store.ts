// Settlement as the members, storage and KPI views see it: one period shared by the three views,
// the members' figures over it, one member's detail and statements, the virtual storage beside
// the physical pool, the site KPIs and the settled intervals. Refreshed when the back end books
// an interval, while a view is attached.
import { makeAutoObservable, observable, runInAction } from 'mobx';
import type {
  ApiEventName,
  ApiEvents,
  ApiName,
  ApiRequest,
  ApiResponse,
} from '../../../shared/api/contract.ts';
import type {
  LedgerVerifyResult,
  MemberDetail,
  MembersOverview,
  ResettleResult,
  SettledIntervalRow,
  SettlementStatus,
  StorageOverview,
} from '../../../shared/api/settlement-api.ts';
import type { SiteKpis } from '../../../shared/settlement/site-kpis.ts';
import { monthRange } from '../../../shared/settlement/settlement-period.ts';
import { localMidnightMs, localParts } from '../../../shared/time/zone.ts';
import type { MemberStatement } from '../../../shared/settlement/statement.ts';

/** What the store needs of the API client (ApiClient has it), so tests can hand it a fake. */
export interface SettlementClient {
  call<K extends ApiName>(name: K, request: ApiRequest<K>): Promise<ApiResponse<K>>;
  on<E extends ApiEventName>(event: E, listener: (payload: ApiEvents[E]) => void): () => void;
}

export type PeriodKind = 'day' | 'week' | 'month' | 'last-month' | 'all' | 'custom';

export interface Period {
  kind: PeriodKind;
  fromMs: number;
  toMs: number;
}

const DAY_MS = 86_400_000;

/** The local calendar date of an instant as [year, month 0-based, day]. */
function localYmd(timeMs: number, timeZone: string): [number, number, number] {
  const { year, month, day } = localParts(timeMs, timeZone);
  return [year, month - 1, day];
}

export class SettlementStore {
  timeZone = 'UTC';
  period: Period = { kind: 'month', fromMs: 0, toMs: 1 };
  status: SettlementStatus | null = null;
  members: MembersOverview | null = null;
  selected: string | null = null;
  detail: MemberDetail | null = null;
  storage: StorageOverview | null = null;
  kpis: (SiteKpis & { verification: LedgerVerifyResult }) | null = null;
  intervals: SettledIntervalRow[] = [];
  statementMonth: string | null = null;
  statement: MemberStatement | null = null;
  statementHtml: string | null = null;
  verify: LedgerVerifyResult | null = null;
  /** The ledger's verification as last reported (with the figures, or by Verify): the views' banner. */
  ledgerCheck: LedgerVerifyResult | null = null;
  resettleResult: ResettleResult | null = null;
  loading = false;
  error: string | null = null;

  private refreshTimer: ReturnType<typeof setTimeout> | null = null;
  private attached = 0;

  constructor(private readonly api: SettlementClient) {
    makeAutoObservable<SettlementStore, 'api' | 'refreshTimer' | 'attached'>(this, {
      api: false,
      refreshTimer: false,
      attached: false,
      status: observable.ref,
      members: observable.ref,
      detail: observable.ref,
      storage: observable.ref,
      kpis: observable.ref,
      intervals: observable.ref,
      statement: observable.ref,
      verify: observable.ref,
      ledgerCheck: observable.ref,
      resettleResult: observable.ref,
    });
  }

  /** Follows the back end's bookings while a view shows; returns the unsubscribe for unmount. */
  attach(timeZone: string): () => void {
    if (this.attached === 0 || this.timeZone !== timeZone) {
      this.timeZone = timeZone;
      if (this.period.fromMs === 0) this.setPeriod('month');
    }
    this.attached++;
    const off = this.api.on('settlement/settled', () => this.scheduleRefresh());
    return () => {
      off();
      this.attached--;
      if (this.attached === 0 && this.refreshTimer) {
        clearTimeout(this.refreshTimer);
        this.refreshTimer = null;
      }
    };
  }

  private scheduleRefresh(): void {
    if (this.refreshTimer) return;
    // A catch-up books many intervals in a burst: refresh once after it.
    this.refreshTimer = setTimeout(() => {
      this.refreshTimer = null;
      void this.load();
    }, 1000);
  }

  /** Sets the period from a preset, relative to now in the site's timezone. */
  setPeriod(kind: Exclude<PeriodKind, 'custom'>, nowMs = Date.now()): void {
    const tz = this.timeZone;
    const [y, m, d] = localYmd(nowMs, tz);
    const tomorrow = localMidnightMs(y, m, d + 1, tz);
    switch (kind) {
      case 'day':
        this.period = { kind, fromMs: localMidnightMs(y, m, d, tz), toMs: tomorrow };
        break;
      case 'week':
        this.period = { kind, fromMs: localMidnightMs(y, m, d - 6, tz), toMs: tomorrow };
        break;
      case 'month':
        this.period = { kind, fromMs: localMidnightMs(y, m, 1, tz), toMs: localMidnightMs(y, m + 1, 1, tz) };
        break;
      case 'last-month':
        this.period = { kind, fromMs: localMidnightMs(y, m - 1, 1, tz), toMs: localMidnightMs(y, m, 1, tz) };
        break;
      case 'all': {
        const first = this.status?.firstSettledStartMs ?? nowMs - 365 * DAY_MS;
        const last = this.status?.lastSettledStartMs ?? nowMs;
        const [fy, fm, fd] = localYmd(first, tz);
        const [ly, lm, ld] = localYmd(last, tz);
        this.period = {
          kind,
          fromMs: localMidnightMs(fy, fm, fd, tz),
          toMs: localMidnightMs(ly, lm, ld + 1, tz),
        };
        break;
      }
    }
  }

  /** A period of whole local days, from the first date to the last date inclusive ('YYYY-MM-DD'). */
  setCustomPeriod(fromDate: string, toDate: string): void {
    const parse = (text: string): [number, number, number] | null => {
      const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
      return match ? [Number(match[1]), Number(match[2]) - 1, Number(match[3])] : null;
    };
    const a = parse(fromDate);
    const b = parse(toDate);
    if (!a || !b) return;
    const fromMs = localMidnightMs(a[0], a[1], a[2], this.timeZone);
    const toMs = localMidnightMs(b[0], b[1], b[2] + 1, this.timeZone);
    if (toMs <= fromMs) {
      this.error = 'the period ends before it starts';
      return;
    }
    this.error = null;
    this.period = { kind: 'custom', fromMs, toMs };
  }

  /** Shows the settled month if the chosen month holds nothing (a simulated or older ledger). */
  private followLedger(): void {
    const last = this.status?.lastSettledStartMs;
    if (last === null || last === undefined || this.period.kind === 'custom') return;
    const first = this.status!.firstSettledStartMs ?? last;
    if (last >= this.period.fromMs && first < this.period.toMs) return;
    const [y, m] = localYmd(last, this.timeZone);
    const { fromMs, toMs } = monthRange(`${y}-${String(m + 1).padStart(2, '0')}`, this.timeZone);
    this.period = { kind: 'custom', fromMs, toMs };
  }

  async load(): Promise<void> {
    this.loading = true;
    try {
      const status = await this.api.call('settlement/status', {});
      runInAction(() => {
        this.status = status;
        this.followLedger();
      });
      const range = { fromMs: this.period.fromMs, toMs: this.period.toMs };
      const [members, storage, kpis, intervals] = await Promise.all([
        this.api.call('settlement/members', range),
        this.api.call('settlement/storage', range),
        this.api.call('settlement/kpis', range),
        this.api.call('settlement/intervals', { ...range, limit: 200 }),
      ]);
      runInAction(() => {
        this.members = members;
        this.storage = storage;
        this.kpis = kpis;
        this.ledgerCheck = members.verification;
        this.intervals = intervals;
        this.error = null;
        if (this.selected === null && members.members.length > 0) this.selected = members.members[0]!.member;
      });
      if (this.selected) await this.loadDetail();
    } catch (error) {
      runInAction(() => (this.error = (error as Error).message));
    } finally {
      runInAction(() => (this.loading = false));
    }
  }

  async choosePeriod(kind: Exclude<PeriodKind, 'custom'>): Promise<void> {
    this.setPeriod(kind);
    await this.load();
  }

  async chooseCustom(fromDate: string, toDate: string): Promise<void> {
    this.setCustomPeriod(fromDate, toDate);
    if (!this.error) await this.load();
  }

  async select(member: string): Promise<void> {
    this.selected = member;
    this.statement = null;
    this.statementHtml = null;
    await this.loadDetail();
  }

  private async loadDetail(): Promise<void> {
    const member = this.selected;
    if (!member) return;
    try {
      const detail = await this.api.call('settlement/member', { member, ...this.range() });
      runInAction(() => {
        if (this.selected !== member) return;
        this.detail = detail;
        if (!this.statementMonth || !detail.months.includes(this.statementMonth))
          this.statementMonth = detail.months[0] ?? null;
      });
    } catch (error) {
      runInAction(() => (this.error = (error as Error).message));
    }
  }

  private range(): { fromMs: number; toMs: number } {
    return { fromMs: this.period.fromMs, toMs: this.period.toMs };
  }

  setStatementMonth(month: string): void {
    this.statementMonth = month;
    this.statement = null;
    this.statementHtml = null;
  }

  /** The selected member's statement for the chosen month, as figures and printable HTML. */
  async openStatement(): Promise<void> {
    const member = this.selected;
    const month = this.statementMonth;
    if (!member || !month) return;
    try {
      const r = await this.api.call('settlement/statement', { member, month, html: true });
      runInAction(() => {
        this.statement = r.statement;
        this.statementHtml = r.html;
      });
    } catch (error) {
      runInAction(() => (this.error = (error as Error).message));
    }
  }

  closeStatement(): void {
    this.statement = null;
    this.statementHtml = null;
  }

  /** The statement as PDF bytes, for the view to offer as a download. */
  async statementPdf(): Promise<{ name: string; bytes: Uint8Array } | null> {
    const member = this.selected;
    const month = this.statementMonth;
    if (!member || !month) return null;
    try {
      const r = await this.api.call('settlement/statement', { member, month, pdf: true });
      if (!r.pdfBase64) return null;
      const binary = atob(r.pdfBase64);
      const bytes = new Uint8Array(binary.length);
      for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
      return { name: `${member}-${month}.pdf`, bytes };
    } catch (error) {
      runInAction(() => (this.error = (error as Error).message));
      return null;
    }
  }

  /** What the views must say about the ledger their figures come from, or null when it verified. */
  get ledgerFailure(): string | null {
    const check = this.ledgerCheck;
    if (!check || check.ok) return null;
    return `The ledger failed verification at entry ${check.seq} (${check.kind}): it ${check.problem}. The figures shown come from this ledger and cannot be trusted; statements are refused until it is resolved.`;
  }

  async verifyLedger(): Promise<void> {
    try {
      const result = await this.api.call('settlement/verify', {});
      runInAction(() => {
        this.verify = result;
        this.ledgerCheck = result;
      });
    } catch (error) {
      runInAction(() => (this.error = (error as Error).message));
    }
  }

  /** The manager's re-settlement of a past interval from the data as it is now. */
  async resettle(startMs: number, reason: string): Promise<void> {
    try {
      const result = await this.api.call('settlement/resettle', { startMs, reason });
      runInAction(() => (this.resettleResult = result));
      await this.load();
    } catch (error) {
      runInAction(() => (this.error = (error as Error).message));
    }
  }
}
