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
import {
  describeCommand,
  type AuditRecord,
  type CommandCheck,
  type CommandOutcome,
  type ControlSnapshot,
  type ControlState,
  type OperatorCommand,
} from '../../../shared/api/control-api.ts';

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
      const [state, audit] = await Promise.all([
        this.api.call('control/state', {}),
        this.api.call('control/audit', { limit: 50 }),
      ]);
      runInAction(() => {
        this.state = state;
        this.audit = audit;
        this.error = null;
      });
    } catch (error) {
      runInAction(() => (this.error = `control state not available: ${(error as Error).message}`));
    }
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
  async confirm(operator?: string): Promise<CommandOutcome | null> {
    const pending = this.pending;
    if (!pending?.check?.ok || this.running) return null;
    this.running = true;
    try {
      const outcome = await this.api.call('control/command', {
        command: pending.command,
        confirmed: true,
        origin: 'console',
        ...(operator ? { operator } : {}),
      });
      const audit = await this.api.call('control/audit', { limit: 50 });
      runInAction(() => {
        this.lastOutcome = { ...outcome, label: pending.label };
        this.audit = audit;
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
    const s = this.state;
    if (!s) return null;
    const shed = s.tiers.filter((t) => t.shed);
    const breakerClosed = s.pcc?.breakerClosed ?? null;
    return {
      mode: s.mode,
      islanded: s.siteKind === 'off-grid' || breakerClosed === false || s.pcc?.gridStatus === 'lost',
      energised: s.island.energised !== false && s.mode !== 'blackout',
      breakerClosed,
      shedTiers: shed.map((t) => t.tier),
      shedMembers: shed.flatMap((t) => t.members),
      activeAlarms: s.alarms.filter((a) => a.clearedMs === null).length,
    };
  }

  get activeAlarms() {
    return (this.state?.alarms ?? []).filter((a) => a.clearedMs === null);
  }
}
