// Commissioning a field device: pick an endpoint, scan its unit ids with progress, watch one
// unit's decoded points live, describe the device and where it sits in the topology, and save it
// to the site file (the back end validates and refuses with every problem listed).
import { makeAutoObservable, observable, runInAction } from 'mobx';
import type {
  Assignment,
  EndpointView,
  MapTemplate,
  PointsView,
  ScannedUnit,
  ScanProgress,
  SiteFileView,
  UnitView,
} from '../../../shared/api/field-api.ts';
import type { Device, DeviceKind } from '../../../shared/site/schema.ts';
import type { Problem } from '../../../shared/validation/problems.ts';
import type { ApiClient } from '../api/api-client.ts';

const LIVE_PERIOD_MS = 1000;

export type AssignRole =
  'none' | 'member-meter' | 'shed-relay' | 'branch-meter' | 'pcc-meter' | 'pcc-breaker' | 'battery-pool';

export interface DeviceDraft {
  id: string;
  name: string;
  kind: DeviceKind;
  gateway: string;
  bus: string;
  pollPeriodMs: number;
  timeoutMs: number;
  role: AssignRole;
  /** Member or branch id the role refers to. */
  roleTarget: string;
  /** The custom register map template to read and save it with; '' for its SunSpec map. */
  mapTemplate: string;
}

export class CommissioningStore {
  endpoints: EndpointView[] = [];
  /** The site file a save writes, and whether it can (the bundled demo site cannot). */
  siteFile: SiteFileView | null = null;
  host = '127.0.0.1';
  port = 502;
  fromUnit = 1;
  toUnit = 247;
  scanId: string | null = null;
  progress: ScanProgress | null = null;
  units: ScannedUnit[] = [];
  scanError: string | null = null;
  selectedUnit: number | null = null;
  live: UnitView | null = null;
  /** The selected unit read through a custom map template. */
  livePoints: PointsView | null = null;
  templates: MapTemplate[] = [];
  liveError: string | null = null;
  draft: DeviceDraft = emptyDraft();
  saving = false;
  problems: Problem[] = [];
  saved: string | null = null;
  private liveTimer: ReturnType<typeof setTimeout> | null = null;
  private scanCounter = 0;

  constructor(private readonly api: ApiClient) {
    makeAutoObservable<CommissioningStore, 'api' | 'liveTimer' | 'scanCounter'>(this, {
      api: false,
      liveTimer: false,
      scanCounter: false,
      live: observable.ref,
      livePoints: observable.ref,
      units: observable.ref,
    });
    api.on('field/scan-progress', (p) => this.acceptProgress(p));
  }

  get scanning(): boolean {
    return this.scanId !== null;
  }

  /** The site's endpoint being scanned, when it is one (a new endpoint otherwise). */
  get siteEndpoint(): EndpointView | null {
    return this.endpoints.find((e) => e.host === this.host && e.port === this.port) ?? null;
  }

  /** The site's device already at a unit id of the scanned endpoint, if any. */
  deviceAt(unit: number): string | null {
    return this.siteEndpoint?.devices.find((d) => d.unitId === unit)?.id ?? null;
  }

  get progressFraction(): number {
    return this.progress ? this.progress.done / Math.max(1, this.progress.total) : 0;
  }

  async loadEndpoints(): Promise<void> {
    try {
      const [endpoints, siteFile, templates] = await Promise.all([
        this.api.call('field/endpoints', {}),
        this.api.call('field/site-file', {}),
        this.api.call('field/map-templates', {}),
      ]);
      runInAction(() => {
        this.endpoints = endpoints;
        this.siteFile = siteFile;
        this.templates = templates;
      });
    } catch (error) {
      runInAction(() => {
        this.scanError = (error as Error).message;
      });
    }
  }

  setEndpoint(host: string, port: number, gateway: string | null = null): void {
    this.host = host;
    this.port = port;
    this.draft.gateway = gateway ?? '';
  }

  setRange(fromUnit: number, toUnit: number): void {
    this.fromUnit = fromUnit;
    this.toUnit = toUnit;
  }

  acceptProgress(progress: ScanProgress): void {
    if (progress.scanId !== this.scanId) return;
    this.progress = progress;
    if (progress.found) this.units = [...this.units, progress.found];
  }

  async scan(): Promise<void> {
    if (this.scanning) return;
    const scanId = `scan-${Date.now()}-${++this.scanCounter}`;
    this.scanId = scanId;
    this.units = [];
    this.progress = null;
    this.scanError = null;
    this.select(null);
    try {
      const result = await this.api.call('field/scan', {
        scanId,
        host: this.host,
        port: this.port,
        fromUnit: this.fromUnit,
        toUnit: this.toUnit,
        timeoutMs: 500,
      });
      runInAction(() => {
        this.units = result.units;
        this.scanError = result.error;
      });
    } catch (error) {
      runInAction(() => {
        this.scanError = (error as Error).message;
      });
    } finally {
      runInAction(() => {
        this.scanId = null;
      });
    }
  }

  async cancelScan(): Promise<void> {
    if (this.scanId) await this.api.call('field/scan-cancel', { scanId: this.scanId });
  }

  /** Selects a unit and reads its points once a second until another is selected. */
  select(unit: number | null): void {
    if (this.liveTimer) clearTimeout(this.liveTimer);
    this.liveTimer = null;
    this.selectedUnit = unit;
    this.live = null;
    this.livePoints = null;
    this.liveError = null;
    this.problems = [];
    this.saved = null;
    if (unit === null) return;
    const scanned = this.units.find((u) => u.unit === unit);
    // A unit without SunSpec is read through a register map the technician picks (first offered).
    const template = scanned?.base === null ? this.templates[0] : undefined;
    const kind = template?.kind ?? guessKind(scanned);
    this.draft = {
      ...this.draft,
      id: `${kind.replace(/-.*$/, '')}-${this.siteEndpoint?.gateway ?? 'tcp'}-u${unit}`,
      name: template?.label ?? [scanned?.manufacturer, scanned?.model].filter(Boolean).join(' '),
      kind,
      mapTemplate: template?.id ?? '',
    };
    void this.readLive(unit);
  }

  get template(): MapTemplate | null {
    return this.templates.find((t) => t.id === this.draft.mapTemplate) ?? null;
  }

  /** Reads the selected unit through another register map (or its SunSpec map with ''). */
  chooseTemplate(id: string): void {
    const template = this.templates.find((t) => t.id === id);
    this.draft = {
      ...this.draft,
      mapTemplate: template?.id ?? '',
      ...(template ? { kind: template.kind, name: this.draft.name || template.label } : {}),
    };
    this.live = null;
    this.livePoints = null;
    this.liveError = null;
    if (this.selectedUnit !== null) {
      this.stopLive();
      void this.readLive(this.selectedUnit);
    }
  }

  stopLive(): void {
    if (this.liveTimer) clearTimeout(this.liveTimer);
    this.liveTimer = null;
  }

  private async readLive(unit: number): Promise<void> {
    const scanned = this.units.find((u) => u.unit === unit);
    const template = this.template;
    try {
      if (template) {
        const points = await this.api.call('field/read-points', {
          host: this.host,
          port: this.port,
          unitId: unit,
          registerMap: template.registerMap,
          timeoutMs: 1000,
        });
        runInAction(() => {
          if (this.selectedUnit !== unit || this.template !== template) return;
          this.livePoints = points;
          this.live = null;
          this.liveError = null;
        });
      } else {
        const view = await this.api.call('field/read-unit', {
          host: this.host,
          port: this.port,
          unitId: unit,
          ...(scanned?.base !== null && scanned?.base !== undefined ? { base: scanned.base } : {}),
          timeoutMs: 1000,
        });
        runInAction(() => {
          if (this.selectedUnit !== unit || this.template !== null) return;
          this.live = view;
          this.livePoints = null;
          this.liveError = null;
        });
      }
    } catch (error) {
      runInAction(() => {
        if (this.selectedUnit === unit) this.liveError = (error as Error).message;
      });
    }
    if (this.selectedUnit === unit && this.template === template) {
      if (this.liveTimer) clearTimeout(this.liveTimer);
      this.liveTimer = setTimeout(() => void this.readLive(unit), LIVE_PERIOD_MS);
    }
  }

  updateDraft(patch: Partial<DeviceDraft>): void {
    this.draft = { ...this.draft, ...patch };
  }

  get deviceToSave(): Device | null {
    const unit = this.selectedUnit;
    if (unit === null) return null;
    const scanned = this.units.find((u) => u.unit === unit);
    const d = this.draft;
    return {
      id: d.id,
      ...(d.name ? { name: d.name } : {}),
      kind: d.kind,
      // In simulation the site's endpoints are served on other ports: save what the site file says.
      endpoint: {
        host: this.siteEndpoint?.siteHost ?? this.host,
        port: this.siteEndpoint?.sitePort ?? this.port,
        unitId: unit,
      },
      registerMap: this.template
        ? this.template.registerMap
        : scanned?.base !== null && scanned?.base !== undefined
          ? { type: 'sunspec', base: scanned.base }
          : { type: 'sunspec' },
      ...(d.gateway ? { gateway: d.gateway } : {}),
      ...(d.bus ? { bus: d.bus } : {}),
      pollPeriodMs: d.pollPeriodMs,
      timeoutMs: d.timeoutMs,
    };
  }

  get assignment(): Assignment {
    const { role, roleTarget } = this.draft;
    switch (role) {
      case 'member-meter':
        return { memberMeter: roleTarget };
      case 'shed-relay':
        return { shedRelayFor: roleTarget.split(/[\s,]+/).filter(Boolean) };
      case 'branch-meter':
        return { branchMeter: roleTarget };
      case 'pcc-meter':
        return { pcc: 'meter' };
      case 'pcc-breaker':
        return { pcc: 'breaker' };
      case 'battery-pool':
        return { batteryPool: true };
      default:
        return {};
    }
  }

  async save(): Promise<void> {
    const device = this.deviceToSave;
    if (!device) return;
    this.saving = true;
    this.problems = [];
    this.saved = null;
    try {
      const result = await this.api.call('field/save-device', { device, assign: this.assignment });
      runInAction(() => {
        if (result.ok)
          this.saved = `saved to ${result.file}${result.backup ? ` (previous kept as ${result.backup})` : ''}; restart the console to poll it`;
        else this.problems = result.problems;
      });
    } catch (error) {
      runInAction(() => {
        this.problems = [{ path: '', message: (error as Error).message }];
      });
    } finally {
      runInAction(() => {
        this.saving = false;
      });
    }
  }
}

function emptyDraft(): DeviceDraft {
  return {
    id: '',
    name: '',
    kind: 'member-meter',
    gateway: '',
    bus: '',
    pollPeriodMs: 1000,
    timeoutMs: 2000,
    role: 'none',
    roleTarget: '',
    mapTemplate: '',
  };
}

/** A first guess from the models a unit carries; the technician corrects it. */
function guessKind(unit: ScannedUnit | undefined): DeviceKind {
  const ids = new Set(unit?.models.map((m) => m.id) ?? []);
  if (ids.has(124) || ids.has(802)) return 'battery-inverter';
  if ([101, 102, 103, 111, 112, 113].some((id) => ids.has(id))) return 'pv-inverter';
  return 'member-meter';
}
