// The control view's state: the controller's picture as the back end pushes it each second, the
// audit trail, and the operator's command in two steps — proposed (the back end says what it
// would do, or why it refuses) and confirmed (it runs, and its outcome is shown).
import { makeAutoObservable, observable, runInAction } from 'mobx';
import type {
  ApiEventName,
  ApiEvents,
  ApiName,
  ApiRequest,
  ApiResponse,
} from '../../../shared/api/contract.ts';
import type { AuditRecord } from '../../../shared/api/audit-api.ts';
import {
  describeCommand,
  type CommandCheck,
  type CommandOutcome,
  type ControlSnapshot,
  type ControlState,
  type OperatorCommand,
} from '../../../shared/api/control-api.ts';
import { controlSnapshot } from '../../../shared/api/control-snapshot.ts';

/** What the store needs of the API client (ApiClient has it), so tests can hand it a fake. */
export interface ControlClient {
  call<K extends ApiName>(name: K, request: ApiRequest<K>): Promise<ApiResponse<K>>;
  on<E extends ApiEventName>(event: E, listener: (payload: ApiEvents[E]) => void): () => void;
}

export interface PendingCommand {
  command: OperatorCommand;
  label: string;
  /** The back end's verdict; null while it is being asked. */
  check: CommandCheck | null;
}

export class ControlStore {
  state: ControlState | null = null;
  audit: AuditRecord[] = [];
  pending: PendingCommand | null = null;
  running = false;
  lastOutcome: (CommandOutcome & { label: string }) | null = null;
  error: string | null = null;

  private users = 0;
  private unsubscribe: (() => void) | null = null;

  constructor(private readonly api: ControlClient) {
    makeAutoObservable<ControlStore, 'api' | 'users' | 'unsubscribe'>(this, {
      api: false,
      users: false,
      unsubscribe: false,
      state: observable.ref,
      audit: observable.ref,
      pending: observable.ref,
      lastOutcome: observable.ref,
    });
  }

  /** Subscribes to the controller's pushes and loads the picture; call the result to stop. */
  open(): () => void {
    this.users++;
    if (this.users === 1) {
      this.unsubscribe = this.api.on('control/state', (state) => this.accept(state));
      void this.load();
    }
    let closed = false;
    return () => {
      if (closed) return;
      closed = true;
      this.users--;
      if (this.users === 0) {
        this.unsubscribe?.();
        this.unsubscribe = null;
      }
    };
  }

  async load(): Promise<void> {
    try {
      const state = await this.api.call('control/state', {});
      runInAction(() => {
        this.state = state;
        this.error = null;
      });
      await this.loadAudit();
    } catch (error) {
      runInAction(() => (this.error = `control state not available: ${(error as Error).message}`));
    }
  }

  /** The control commands of the audit trail; a viewer may not list it, and sees none. */
  async loadAudit(): Promise<void> {
    const audit = await this.api
      .call('audit/list', { action: 'control/command', limit: 50 })
      .catch(() => [] as AuditRecord[]);
    runInAction(() => (this.audit = audit));
  }

  accept(state: ControlState): void {
    this.state = state;
  }

  /** First step of a command: ask the back end what it would do. Nothing changes yet. */
  async propose(command: OperatorCommand): Promise<void> {
    const pending: PendingCommand = { command, label: describeCommand(command), check: null };
    this.pending = pending;
    this.lastOutcome = null;
    try {
      const check = await this.api.call('control/check', { command });
      runInAction(() => {
        if (this.pending === pending) this.pending = { ...pending, check };
      });
    } catch (error) {
      runInAction(() => {
        if (this.pending === pending)
          this.pending = {
            ...pending,
            check: { ok: false, reason: (error as Error).message, summary: pending.label },
          };
      });
    }
  }

  cancel(): void {
    this.pending = null;
  }

  /** Second step: the operator confirmed. The back end checks again and may still refuse. */
  async confirm(): Promise<CommandOutcome | null> {
    const pending = this.pending;
    if (!pending?.check?.ok || this.running) return null;
    this.running = true;
    try {
      const outcome = await this.api.call('control/command', {
        command: pending.command,
        confirmed: true,
      });
      await this.loadAudit();
      runInAction(() => {
        this.lastOutcome = { ...outcome, label: pending.label };
        if (this.pending === pending) this.pending = null;
      });
      return outcome;
    } catch (error) {
      runInAction(() => {
        this.lastOutcome = {
          ok: false,
          done: false,
          reason: (error as Error).message,
          summary: pending.label,
          auditId: -1,
          atMs: Date.now(),
          label: pending.label,
        };
        this.pending = null;
      });
      return null;
    } finally {
      runInAction(() => (this.running = false));
    }
  }

  async acknowledge(alarmId: number): Promise<void> {
    await this.api.call('control/acknowledge', { alarmId });
    await this.load();
  }

  /** What the 3D topology draws: islanded parts, shed members, the breaker. */
  get snapshot(): ControlSnapshot | null {
    return this.state ? controlSnapshot(this.state) : null;
  }

  get activeAlarms() {
    return (this.state?.alarms ?? []).filter((a) => a.clearedMs === null);
  }
}
