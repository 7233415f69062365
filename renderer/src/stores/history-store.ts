// The history view's state: which members, feeders, devices and quantities are charted over
// which range, the historian's answer at the resolution it chose, the live values that arrive
// after it (in live mode the range ends now and slides), and an export in progress.
import { makeAutoObservable, observable, runInAction } from 'mobx';
import type {
  ExportRequest,
  HistoryQueryResult,
  HistoryResolution,
  HistorySeries,
  HistoryTarget,
} from '../../../shared/api/history-api.ts';
import type { LiveSnapshot, Quantity } from '../../../shared/api/live.ts';
import type { SiteFile } from '../../../shared/site/schema.ts';
import type { ApiClient } from '../api/api-client.ts';

export const RANGE_PRESETS: Array<{ label: string; ms: number }> = [
  { label: '15 min', ms: 15 * 60_000 },
  { label: '1 h', ms: 3_600_000 },
  { label: '6 h', ms: 6 * 3_600_000 },
  { label: '24 h', ms: 24 * 3_600_000 },
  { label: '7 d', ms: 7 * 24 * 3_600_000 },
  { label: '30 d', ms: 30 * 24 * 3_600_000 },
  { label: '1 y', ms: 365 * 24 * 3_600_000 },
];

export const CHART_QUANTITIES: Array<{ id: string; label: string }> = [
  { id: 'powerKW', label: 'Power' },
  { id: 'energyImportKWh', label: 'Energy imported' },
  { id: 'energyExportKWh', label: 'Energy exported' },
  { id: 'voltageV', label: 'Voltage' },
  { id: 'frequencyHz', label: 'Frequency' },
  { id: 'socFraction', label: 'State of charge' },
];

/** Re-read the stored history this often in live mode, so closed buckets replace live points. */
const LIVE_REFRESH_MS = 20_000;
const MIN_SPAN_MS = 60_000;

export interface ExportProgress {
  fileName: string;
  rows: number;
  progress: number;
  state: 'running' | 'done' | 'cancelled' | 'failed';
  error: string | null;
}

export class HistoryStore {
  site: SiteFile | null = null;
  targets: HistoryTarget[] = [{ kind: 'site', id: 'site' }];
  quantities: string[] = ['powerKW'];
  fromMs = Date.now() - 3_600_000;
  toMs = Date.now();
  /** The range ends now and slides with the clock; live values are drawn after the stored ones. */
  live = true;
  result: HistoryQueryResult | null = null;
  /** Live points per series key, newer than the stored data: [time ms, value]. */
  livePoints = new Map<string, Array<[number, number]>>();
  loading = false;
  error: string | null = null;
  exportState: ExportProgress | null = null;
  private requestSeq = 0;
  private refreshTimer: ReturnType<typeof setInterval> | null = null;
  private unsubscribe: (() => void) | null = null;
  private exportJob: string | null = null;

  constructor(private readonly api: ApiClient) {
    makeAutoObservable<HistoryStore, 'api' | 'requestSeq' | 'refreshTimer' | 'unsubscribe' | 'exportJob'>(
      this,
      {
        api: false,
        requestSeq: false,
        refreshTimer: false,
        unsubscribe: false,
        exportJob: false,
        result: observable.ref,
        site: observable.ref,
        livePoints: observable.ref,
      },
    );
  }

  /** Called by the view on mount: loads the site and the chart, and follows live values. */
  async open(): Promise<void> {
    this.unsubscribe?.();
    this.unsubscribe = this.api.on('live/snapshot', (s) => this.acceptLive(s));
    if (this.refreshTimer) clearInterval(this.refreshTimer);
    this.refreshTimer = setInterval(() => {
      if (this.live) void this.load();
    }, LIVE_REFRESH_MS);
    if (!this.site) {
      const site = await this.api.call('site/get', {});
      runInAction(() => (this.site = site));
    }
    await this.load();
  }

  /** Called by the view on unmount. */
  close(): void {
    this.unsubscribe?.();
    this.unsubscribe = null;
    if (this.refreshTimer) clearInterval(this.refreshTimer);
    this.refreshTimer = null;
  }

  get spanMs(): number {
    return this.toMs - this.fromMs;
  }

  async load(): Promise<void> {
    if (this.live) {
      const span = this.spanMs;
      this.toMs = Date.now();
      this.fromMs = this.toMs - span;
    }
    if (this.targets.length === 0 || this.quantities.length === 0) {
      this.result = null;
      return;
    }
    const seq = ++this.requestSeq;
    this.loading = true;
    try {
      const result = await this.api.call('history/query', {
        from: Math.round(this.fromMs),
        // In live mode a little past now, so the bucket still open is included.
        to: Math.round(this.toMs + (this.live ? 60_000 : 0)),
        targets: this.targets,
        quantities: this.quantities,
        resolution: 'auto',
        maxPoints: 2000,
      });
      runInAction(() => {
        if (seq !== this.requestSeq) return;
        this.result = result;
        this.error = null;
        this.loading = false;
        this.livePoints = new Map();
      });
    } catch (error) {
      runInAction(() => {
        if (seq !== this.requestSeq) return;
        this.error = (error as Error).message;
        this.loading = false;
      });
    }
  }

  setPreset(ms: number): void {
    this.toMs = Date.now();
    this.fromMs = this.toMs - ms;
    this.live = true;
    void this.load();
  }

  /** A range picked on the chart (drag to zoom); leaves live mode unless it ends now. */
  zoomTo(fromMs: number, toMs: number): void {
    if (toMs - fromMs < MIN_SPAN_MS) {
      const mid = (fromMs + toMs) / 2;
      fromMs = mid - MIN_SPAN_MS / 2;
      toMs = mid + MIN_SPAN_MS / 2;
    }
    this.fromMs = fromMs;
    this.toMs = Math.min(toMs, Date.now());
    this.live = Date.now() - this.toMs < 5_000;
    void this.load();
  }

  /** Moves the range by a fraction of its span: negative into the past. */
  pan(fraction: number): void {
    const shift = this.spanMs * fraction;
    const now = Date.now();
    const to = Math.min(now, this.toMs + shift);
    this.fromMs = to - this.spanMs;
    this.toMs = to;
    this.live = now - to < 5_000;
    void this.load();
  }

  zoomOut(): void {
    const mid = (this.fromMs + this.toMs) / 2;
    this.zoomTo(mid - this.spanMs, mid + this.spanMs);
  }

  setLive(on: boolean): void {
    this.live = on;
    if (on) void this.load();
  }

  addTarget(target: HistoryTarget): void {
    if (this.targets.some((t) => t.kind === target.kind && t.id === target.id)) return;
    this.targets = [...this.targets, target];
    void this.load();
  }

  removeTarget(target: HistoryTarget): void {
    this.targets = this.targets.filter((t) => !(t.kind === target.kind && t.id === target.id));
    void this.load();
  }

  toggleQuantity(quantity: string): void {
    this.quantities = this.quantities.includes(quantity)
      ? this.quantities.filter((q) => q !== quantity)
      : [...this.quantities, quantity];
    void this.load();
  }

  targetName(target: HistoryTarget): string {
    const site = this.site;
    if (!site) return target.id;
    switch (target.kind) {
      case 'site':
        return 'Site (PCC)';
      case 'member':
        return site.members.find((m) => m.id === target.id)?.name ?? target.id;
      case 'feeder':
        return `Feeder ${target.id}`;
      case 'device':
        return site.devices.find((d) => d.id === target.id)?.name ?? target.id;
    }
  }

  /** The stored series, and after each the live points newer than its last stored point. */
  get chartSeries(): Array<HistorySeries & { live: Array<[number, number]> }> {
    return (this.result?.series ?? []).map((s) => {
      const last = s.times.at(-1) ?? -Infinity;
      return { ...s, live: (this.livePoints.get(s.key) ?? []).filter(([t]) => t > last) };
    });
  }

  acceptLive(snapshot: LiveSnapshot): void {
    if (!this.live || !this.result || !this.site) return;
    // Counters are charted as energy per bucket; a live register reading is not comparable.
    const next = new Map(this.livePoints);
    for (const s of this.result.series) {
      if (s.kind === 'counter') continue;
      const value = liveValue(this.site, snapshot, s.target, s.quantity);
      if (value === null) continue;
      const points = next.get(s.key) ?? [];
      next.set(s.key, [...points.filter(([t]) => t >= this.fromMs), [snapshot.timeMs, value]]);
    }
    this.livePoints = next;
  }

  async startExport(
    spec: Pick<ExportRequest, 'format'> & { resolution: HistoryResolution },
    save: (fileName: string, mimeType: string, parts: string[]) => void,
  ): Promise<void> {
    if (this.exportState?.state === 'running') return;
    const target = this.targets.find((t) => t.kind === 'member' || t.kind === 'device');
    const request: ExportRequest = {
      from: Math.round(this.fromMs),
      to: Math.round(this.toMs),
      resolution: spec.resolution,
      format: spec.format,
      ...(target?.kind === 'member' ? { member: target.id } : {}),
      ...(target?.kind === 'device' ? { device: target.id } : {}),
    };
    try {
      const started = await this.api.call('history/export-start', request);
      this.exportJob = started.jobId;
      runInAction(() => {
        this.exportState = {
          fileName: started.fileName,
          rows: 0,
          progress: 0,
          state: 'running',
          error: null,
        };
      });
      const parts: string[] = [];
      for (;;) {
        if (this.exportJob !== started.jobId) return;
        const chunk = await this.api.call('history/export-next', { jobId: started.jobId });
        parts.push(chunk.text);
        runInAction(() => {
          if (!this.exportState) return;
          this.exportState = {
            ...this.exportState,
            rows: this.exportState.rows + chunk.rows,
            progress: chunk.progress,
          };
        });
        if (chunk.done) break;
      }
      this.exportJob = null;
      save(started.fileName, started.mimeType, parts);
      runInAction(() => {
        if (this.exportState) this.exportState = { ...this.exportState, state: 'done', progress: 1 };
      });
    } catch (error) {
      this.exportJob = null;
      runInAction(() => {
        this.exportState = {
          fileName: this.exportState?.fileName ?? '',
          rows: this.exportState?.rows ?? 0,
          progress: this.exportState?.progress ?? 0,
          state: 'failed',
          error: (error as Error).message,
        };
      });
    }
  }

  async cancelExport(): Promise<void> {
    const job = this.exportJob;
    this.exportJob = null;
    if (!job) return;
    await this.api.call('history/export-cancel', { jobId: job });
    runInAction(() => {
      if (this.exportState) this.exportState = { ...this.exportState, state: 'cancelled' };
    });
  }
}

/** The live value that continues a stored series, with the historian's sign conventions. */
export function liveValue(
  site: SiteFile,
  snapshot: LiveSnapshot,
  target: HistoryTarget,
  quantity: string,
): number | null {
  const device = (id: string) =>
    snapshot.devices.find((d) => d.id === id)?.readings[quantity as Quantity]?.value ?? null;
  switch (target.kind) {
    case 'site':
      return site.grid.kind === 'connected' ? device(site.grid.pcc.meter) : null;
    case 'device':
      return device(target.id);
    case 'feeder':
      return quantity === 'powerKW' ? (snapshot.branches[target.id]?.value ?? null) : null;
    case 'member': {
      if (quantity === 'powerKW') return snapshot.members[target.id]?.value ?? null;
      const meter = site.members.find((m) => m.id === target.id)?.meter;
      return meter ? device(meter) : null;
    }
  }
}
