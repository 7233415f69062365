// The market view's state: the current interval's preview as the back end pushes it, the presets,
// the saved market settings and a draft of them being edited, checked by the back end as the
// operator types and written to the site file only after a confirmation.
import { makeAutoObservable, observable, runInAction } from 'mobx';
import type {
  ApiEventName,
  ApiEvents,
  ApiName,
  ApiRequest,
  ApiResponse,
} from '../../../shared/api/contract.ts';
import type {
  MarketPreview,
  MarketSettingsView,
  SettingsCandidate,
  SettingsCheck,
  TariffPeriodView,
} from '../../../shared/api/market-api.ts';
import type { MarketPreset, PresetId } from '../../../shared/market/index.ts';
import type { MarketSettings } from '../../../shared/site/schema.ts';
import type { Problem } from '../../../shared/validation/problems.ts';

/** What the store needs of the API client (ApiClient has it), so tests can hand it a fake. */
export interface MarketClient {
  call<K extends ApiName>(name: K, request: ApiRequest<K>): Promise<ApiResponse<K>>;
  on<E extends ApiEventName>(event: E, listener: (payload: ApiEvents[E]) => void): () => void;
}

export interface MarketStoreOptions {
  /** Pause after the last edit before the draft is sent for checking (ms). */
  validateDelayMs?: number;
}

type Draft = MarketSettings & Record<string, unknown>;

/** The tariff as edited: numbers, or text as typed for the back end to name when it is not one. */
export interface TariffDraft {
  periods: Array<{ [K in keyof TariffPeriodView]: unknown }>;
  gridCO2KgPerKWh: unknown;
}

export class MarketStore {
  preview: MarketPreview | null = null;
  presets: MarketPreset[] = [];
  /** The settings as saved in the site file. */
  saved: MarketSettingsView | null = null;
  /** The settings being edited; equal to the saved ones until the operator changes something. */
  draft: Draft | null = null;
  /** The time-of-use tariff being edited, beside the market settings. */
  tariffDraft: TariffDraft | null = null;
  /** The back end's verdict on the draft; null until the draft is first checked. */
  check: SettingsCheck | null = null;
  checking = false;
  /** Why the draft could not be checked (the back end did not answer), or null. */
  checkError: string | null = null;
  /** The Save button was pressed; waiting for the operator to confirm. */
  confirming = false;
  saving = false;
  /** What the last save did, for the operator: where it wrote and where the backup is. */
  saveMessage: string | null = null;
  error: string | null = null;

  private readonly validateDelayMs: number;
  private validateTimer: ReturnType<typeof setTimeout> | null = null;
  private checkSequence = 0;

  constructor(
    private readonly api: MarketClient,
    options: MarketStoreOptions = {},
  ) {
    this.validateDelayMs = options.validateDelayMs ?? 300;
    makeAutoObservable<MarketStore, 'api' | 'validateTimer' | 'checkSequence' | 'validateDelayMs'>(this, {
      api: false,
      validateTimer: false,
      checkSequence: false,
      validateDelayMs: false,
      preview: observable.ref,
      presets: observable.ref,
      saved: observable.ref,
      check: observable.ref,
    });
  }

  /**
   * Loads the view's data and follows what the back end pushes, until the returned function is
   * called (the view opens it on mount and closes it on unmount).
   */
  open(): () => void {
    const unsubscribe = [
      this.api.on('market/preview', (preview) => this.acceptPreview(preview)),
      this.api.on('market/settings', (view) => this.acceptSaved(view)),
    ];
    void this.load();
    return () => {
      for (const off of unsubscribe) off();
      this.dispose();
    };
  }

  async load(): Promise<void> {
    try {
      const [presets, saved, preview] = await Promise.all([
        this.api.call('market/presets', {}),
        this.api.call('market/settings', {}),
        this.api.call('market/preview', {}),
      ]);
      runInAction(() => {
        this.presets = presets;
        this.acceptSaved(saved);
        this.acceptPreview(preview);
        this.error = null;
      });
    } catch (error) {
      this.fail(error);
    }
  }

  /** Clears the interval again from the latest readings. */
  async refresh(): Promise<void> {
    try {
      const preview = await this.api.call('market/preview', { refresh: true });
      this.acceptPreview(preview);
    } catch (error) {
      this.fail(error);
    }
  }

  acceptPreview(preview: MarketPreview): void {
    this.preview = preview;
  }

  /** New saved settings; an untouched draft follows them, an edited one is kept. */
  acceptSaved(view: MarketSettingsView): void {
    const edited = this.dirty;
    this.saved = view;
    if (!edited || !this.draft) {
      this.draft = clone(view.settings);
      this.tariffDraft = clone(view.tariff);
      this.check = null;
    }
  }

  get dirty(): boolean {
    return this.marketDirty || this.tariffDirty;
  }

  get marketDirty(): boolean {
    if (!this.saved || !this.draft) return false;
    return JSON.stringify(pruned(this.draft)) !== JSON.stringify(pruned(this.saved.settings));
  }

  get tariffDirty(): boolean {
    if (!this.saved || !this.tariffDraft) return false;
    return JSON.stringify(this.tariffDraft) !== JSON.stringify(this.saved.tariff);
  }

  get draftPreset(): MarketPreset | undefined {
    return this.presets.find((p) => p.id === this.draft?.preset);
  }

  /** Problems the back end found, at `path` or below it (paths start at `market`). */
  problemsAt(path: string): Problem[] {
    return (this.check?.problems ?? []).filter(
      (p) => p.path === path || p.path.startsWith(`${path}.`) || p.path.startsWith(`${path}[`),
    );
  }

  warningsAt(path: string): Problem[] {
    return (this.check?.warnings ?? []).filter((p) => p.path === path || p.path.startsWith(`${path}.`));
  }

  get canSave(): boolean {
    return (
      this.dirty &&
      !this.saving &&
      !this.checking &&
      this.check?.ok === true &&
      this.saved !== null &&
      this.saved.readOnly === null
    );
  }

  /**
   * Changes the draft. `change` edits a copy; setting a key to undefined removes it, and blocks
   * left empty are dropped, so the file keeps only what the operator set.
   */
  edit(change: (draft: Draft) => void): void {
    if (!this.draft) return;
    const next = clone(this.draft);
    change(next);
    this.draft = pruned(next) as Draft;
    this.confirming = false;
    this.saveMessage = null;
    this.scheduleValidation();
  }

  /** Changes the tariff draft, as `edit` does the market's. */
  editTariff(change: (tariff: TariffDraft) => void): void {
    if (!this.tariffDraft) return;
    const next = clone(this.tariffDraft);
    change(next);
    this.tariffDraft = next;
    this.confirming = false;
    this.saveMessage = null;
    this.scheduleValidation();
  }

  setPreset(preset: PresetId): void {
    this.edit((d) => {
      d.preset = preset;
    });
  }

  /** A number typed into a field; text that is not a number is sent as is, for the back end to name. */
  static numberOrText(text: string): number | string | undefined {
    const trimmed = text.trim();
    if (trimmed === '') return undefined;
    const value = Number(trimmed);
    return Number.isFinite(value) ? value : trimmed;
  }

  discard(): void {
    if (!this.saved) return;
    this.draft = clone(this.saved.settings);
    this.tariffDraft = clone(this.saved.tariff);
    this.check = null;
    this.confirming = false;
  }

  /** Sends the draft for checking now (edits do it after a pause). */
  async validate(): Promise<void> {
    if (this.validateTimer) clearTimeout(this.validateTimer);
    this.validateTimer = null;
    const candidate = this.candidate();
    if (!candidate) return;
    const sequence = ++this.checkSequence;
    this.checking = true;
    try {
      const check = await this.api.call('market/validate-settings', candidate);
      runInAction(() => {
        // A slower answer to an older draft must not overwrite the newer one's.
        if (sequence !== this.checkSequence) return;
        this.check = check;
        this.checkError = null;
        this.checking = false;
      });
    } catch (error) {
      runInAction(() => {
        if (sequence !== this.checkSequence) return;
        this.checking = false;
        this.check = null;
        this.checkError = error instanceof Error ? error.message : String(error);
      });
      this.fail(error);
    }
  }

  requestSave(): void {
    if (this.canSave) this.confirming = true;
  }

  cancelSave(): void {
    this.confirming = false;
  }

  async save(): Promise<void> {
    const candidate = this.candidate();
    if (!candidate || !this.confirming) return;
    this.confirming = false;
    this.saving = true;
    try {
      const result = await this.api.call('market/save-settings', candidate);
      runInAction(() => {
        this.saving = false;
        if (result.ok) {
          this.saved = result.settings;
          this.draft = clone(result.settings.settings);
          this.tariffDraft = clone(result.settings.tariff);
          this.check = null;
          this.saveMessage = `Saved to ${result.file}; the previous file is kept as ${result.backup}.`;
        } else {
          this.check = { ok: false, problems: result.problems, warnings: [], effective: null };
          this.saveMessage = null;
        }
      });
    } catch (error) {
      runInAction(() => {
        this.saving = false;
      });
      this.fail(error);
    }
  }

  dispose(): void {
    if (this.validateTimer) clearTimeout(this.validateTimer);
    this.validateTimer = null;
  }

  /** What the back end checks and saves: the market block, and the tariff only when it changed. */
  private candidate(): SettingsCandidate | null {
    if (!this.draft) return null;
    const candidate: SettingsCandidate = { market: pruned(this.draft) as Draft };
    if (this.tariffDirty && this.tariffDraft)
      candidate.tariff = clone(this.tariffDraft) as unknown as Record<string, unknown>;
    return candidate;
  }

  private scheduleValidation(): void {
    if (this.validateTimer) clearTimeout(this.validateTimer);
    this.validateTimer = setTimeout(() => void this.validate(), this.validateDelayMs);
  }

  private fail(error: unknown): void {
    runInAction(() => {
      this.error = error instanceof Error ? error.message : String(error);
    });
  }
}

function clone<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}

/** Drops undefined values and objects left empty by an edit (arrays are kept, even empty). */
function pruned(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(pruned);
  if (typeof value !== 'object' || value === null) return value;
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value)) {
    if (v === undefined) continue;
    const p = pruned(v);
    if (typeof p === 'object' && p !== null && !Array.isArray(p) && Object.keys(p).length === 0) continue;
    out[key] = p;
  }
  return out;
}
