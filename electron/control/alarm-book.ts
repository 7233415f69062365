// The controller's alarms: one active alarm per condition code, raised once and cleared when
// the condition goes, acknowledged by the operator. Kept in memory; the console shows the last ones.
import type { AlarmSeverity, ControlAlarm } from '../../shared/api/control-api.ts';

const KEEP_CLEARED = 200;

export class AlarmBook {
  private readonly alarms: ControlAlarm[] = [];
  private nextId = 1;

  constructor(private readonly onChange: (alarm: ControlAlarm) => void = () => undefined) {}

  /** Raises `code` unless it is already active (then only its message is refreshed). */
  raise(code: string, severity: AlarmSeverity, message: string, timeMs: number): ControlAlarm {
    const active = this.active(code);
    if (active) {
      if (active.message !== message || active.severity !== severity) {
        active.message = message;
        active.severity = severity;
        this.onChange({ ...active });
      }
      return active;
    }
    const alarm: ControlAlarm = {
      id: this.nextId++,
      code,
      severity,
      message,
      raisedMs: timeMs,
      clearedMs: null,
      acknowledged: false,
    };
    this.alarms.push(alarm);
    this.trim();
    this.onChange({ ...alarm });
    return alarm;
  }

  clear(code: string, timeMs: number): void {
    const active = this.active(code);
    if (!active) return;
    active.clearedMs = timeMs;
    this.onChange({ ...active });
  }

  acknowledge(id: number): boolean {
    const alarm = this.alarms.find((a) => a.id === id);
    if (!alarm) return false;
    alarm.acknowledged = true;
    this.onChange({ ...alarm });
    return true;
  }

  isActive(code: string): boolean {
    return this.active(code) !== undefined;
  }

  /** Active alarms first (newest first), then the recently cleared. */
  list(limit = 50): ControlAlarm[] {
    const active = this.alarms.filter((a) => a.clearedMs === null).reverse();
    const cleared = this.alarms.filter((a) => a.clearedMs !== null).reverse();
    return [...active, ...cleared].slice(0, limit).map((a) => ({ ...a }));
  }

  activeCount(): number {
    return this.alarms.filter((a) => a.clearedMs === null).length;
  }

  all(): ControlAlarm[] {
    return this.alarms.map((a) => ({ ...a }));
  }

  private active(code: string): ControlAlarm | undefined {
    return this.alarms.find((a) => a.code === code && a.clearedMs === null);
  }

  private trim(): void {
    const cleared = this.alarms.filter((a) => a.clearedMs !== null);
    if (cleared.length <= KEEP_CLEARED) return;
    const drop = new Set(cleared.slice(0, cleared.length - KEEP_CLEARED));
    for (let i = this.alarms.length - 1; i >= 0; i--)
      if (drop.has(this.alarms[i] as ControlAlarm)) this.alarms.splice(i, 1);
  }
}
