// Alarm acknowledge: the operator marks an alarm seen; it stays active until its condition goes,
// a repeat of the condition while active is the same alarm (still acknowledged), and a new
// occurrence after it cleared is a new alarm that must be acknowledged again. Through the alarm
// book, the controller the `control/acknowledge` handler calls, and the request's schema.
import { describe, expect, it } from 'vitest';
import type { ControlAlarm } from '../../../../shared/api/control-api.ts';
import { controlSchemas } from '../../../../shared/api/control-api.ts';
import { AlarmBook } from '../../../../electron/control/alarm-book.ts';
import { MicrogridController } from '../../../../electron/control/microgrid-controller.ts';
import { demoSite } from '../../../fixtures/demo-site.ts';
import { FakeSite } from '../../../fixtures/fake-site.ts';

describe('alarm book: acknowledge', () => {
  it('marks the alarm acknowledged, tells the listener, and keeps it active', () => {
    const heard: ControlAlarm[] = [];
    const book = new AlarmBook((a) => heard.push(a));
    const grid = book.raise('grid-lost', 'critical', 'grid lost', 1000);
    const soc = book.raise('pool-soc', 'warning', 'pool SoC unknown', 2000);
    expect([grid.id, soc.id]).toEqual([1, 2]);
    expect(book.acknowledge(grid.id)).toBe(true);
    expect(heard.at(-1)).toMatchObject({ id: 1, code: 'grid-lost', acknowledged: true, clearedMs: null });
    expect(book.isActive('grid-lost')).toBe(true);
    expect(book.activeCount()).toBe(2);
    // Only that alarm: newest active first.
    expect(book.list().map((a) => [a.id, a.acknowledged])).toEqual([
      [2, false],
      [1, true],
    ]);
  });

  it('refuses an id it does not hold, and changes nothing', () => {
    const heard: ControlAlarm[] = [];
    const book = new AlarmBook((a) => heard.push(a));
    book.raise('grid-lost', 'critical', 'grid lost', 1000);
    const before = heard.length;
    expect(book.acknowledge(99)).toBe(false);
    expect(book.acknowledge(0)).toBe(false);
    expect(heard).toHaveLength(before);
    expect(book.all()[0]!.acknowledged).toBe(false);
  });

  it('keeps the acknowledgement while the same condition repeats, not for a new occurrence', () => {
    const book = new AlarmBook();
    const first = book.raise('grid-lost', 'critical', 'grid lost', 1000);
    book.acknowledge(first.id);
    // Raised again while active: the same alarm, message refreshed, still acknowledged.
    const again = book.raise('grid-lost', 'critical', 'grid lost for 10 s', 11_000);
    expect(again.id).toBe(first.id);
    expect(book.list()[0]).toMatchObject({ id: 1, message: 'grid lost for 10 s', acknowledged: true });
    book.clear('grid-lost', 20_000);
    const next = book.raise('grid-lost', 'critical', 'grid lost', 30_000);
    expect(next.id).toBe(2);
    expect(next.acknowledged).toBe(false);
    // An alarm that cleared can still be acknowledged (the operator saw it in the list).
    expect(book.acknowledge(first.id)).toBe(true);
    expect(book.list().map((a) => [a.id, a.clearedMs, a.acknowledged])).toEqual([
      [2, null, false],
      [1, 20_000, true],
    ]);
  });

  it('hands out copies: a caller cannot acknowledge by editing what it was given', () => {
    const book = new AlarmBook();
    book.raise('grid-lost', 'critical', 'grid lost', 1000);
    book.list()[0]!.acknowledged = true;
    book.all()[0]!.acknowledged = true;
    expect(book.list()[0]!.acknowledged).toBe(false);
  });
});

describe('controller: acknowledge, as control/acknowledge calls it', () => {
  it('acknowledges the grid-lost alarm of an islanded site and shows it in the state', async () => {
    const site = demoSite();
    const startMs = Date.parse('2026-06-21T12:00:00+01:00');
    const fake = new FakeSite(site, startMs);
    const heard: ControlAlarm[] = [];
    const c = new MicrogridController({ site, actuators: fake, startMs, onAlarm: (a) => heard.push(a) });
    await c.tick(fake.measure());
    fake.s.gridV = 0;
    fake.s.gridHz = 0;
    await fake.run(2, (m) => c.tick(m));
    const alarm = c.state().alarms.find((a) => a.code === 'grid-lost')!;
    expect(alarm).toMatchObject({ acknowledged: false, clearedMs: null });
    expect(c.acknowledge(alarm.id)).toBe(true);
    expect(c.state().alarms.find((a) => a.id === alarm.id)).toMatchObject({
      acknowledged: true,
      clearedMs: null,
    });
    expect(heard.at(-1)).toMatchObject({ id: alarm.id, acknowledged: true });
    // Still islanded, still alarmed: acknowledging is not clearing.
    expect(c.snapshot().activeAlarms).toBeGreaterThanOrEqual(1);
    expect(c.alarms.isActive('grid-lost')).toBe(true);
    expect(c.acknowledge(10_000)).toBe(false);
  });
});

describe('control/acknowledge request', () => {
  const schema = controlSchemas['control/acknowledge'];
  it('takes one non-negative whole alarm id and nothing else', () => {
    expect(schema.safeParse({ alarmId: 3 }).success).toBe(true);
    expect(schema.safeParse({ alarmId: 0 }).success).toBe(true);
    expect(schema.safeParse({ alarmId: -1 }).success).toBe(false);
    expect(schema.safeParse({ alarmId: 1.5 }).success).toBe(false);
    expect(schema.safeParse({ alarmId: '3' }).success).toBe(false);
    expect(schema.safeParse({}).success).toBe(false);
    expect(schema.safeParse({ alarmId: 3, operator: 'mallory' }).success).toBe(false);
  });
});
